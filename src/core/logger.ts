/**
 * pino loggers. JSON by default; child loggers are bound to
 * `{component, jobId, vertex, subtask}` by the components that create them.
 */
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Options for the root logger. */
export interface LoggerOptions {
  level?: string;
  /** Log destination file descriptor (default 2, stderr, so stdout stays for results). */
  fd?: number;
  name?: string;
}

/** Creates a root logger writing JSON lines to stderr. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? process.env['FLUSS_LOG_LEVEL'] ?? 'info', base: options.name ? { name: options.name } : {} },
    pino.destination({ fd: options.fd ?? 2, sync: false }),
  );
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
