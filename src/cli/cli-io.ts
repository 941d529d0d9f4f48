/**
 * Where CLI commands write and what they read from the process: injected so that commands
 * can be exercised in-process by tests and from `main` with the real streams.
 */

/** Output streams and environment of one CLI invocation. */
export interface CliIO {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /**
   * Redraws a transient status line in place (a terminal only); `undefined` clears it. Absent
   * when stdout is not a terminal: nothing transient is printed then.
   */
  status?(line: string | undefined): void;
}

/** The process's own stdout, stderr and environment. */
export function processIO(): CliIO {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    ...(process.stdout.isTTY
      ? {
          status: (line: string | undefined) => {
            const width = process.stdout.columns || 120;
            process.stdout.write(`\r\x1b[2K${line === undefined ? '' : line.slice(0, width - 1)}`);
          },
        }
      : {}),
  };
}

/** What a command leaves behind: an exit code, or a daemon that keeps the process alive. */
export type CommandOutcome = { kind: 'exit'; code: number } | { kind: 'daemon' };
