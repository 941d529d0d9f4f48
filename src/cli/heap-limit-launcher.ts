/**
 * Starting a TaskManager daemon with the V8 heap limit its memory budget asks for. Node reads
 * `--max-old-space-size` only at start, so `fluss taskmanager` runs itself again as a child with
 * the flag (unless the flag was given by hand, in `NODE_OPTIONS` or on the node command line),
 * and stays as a thin parent: it forwards SIGTERM/SIGINT/SIGHUP and exits with the child's code.
 * The child is tied to the parent by an IPC channel and exits at once when the parent is gone,
 * so a SIGKILL of the `fluss taskmanager` process ends the TaskManager as it would without the
 * re-execution.
 */
import { spawn } from 'node:child_process';

/** Marks the re-executed child. */
const CHILD_ENV = 'FLUSS_HEAP_LIMITED_CHILD';

/** True when the heap limit was set by hand (node flag or NODE_OPTIONS). */
export function heapLimitSetByHand(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = (a: string): boolean => a.startsWith('--max-old-space-size') || a.startsWith('--max_old_space_size');
  return execArgv.some(given) || (nodeOptions ?? '').split(/\s+/).some(given);
}

/**
 * In the re-executed child: arranges its exit when the parent goes. Returns true there. In the
 * parent, when `v8Args` must be applied: starts the child and returns false after wiring it
 * (the caller must not start the daemon then). Returns true when the daemon should run here.
 */
export function runWithHeapLimit(v8Args: readonly string[]): boolean {
  if (process.env[CHILD_ENV] === '1') {
    // The parent is gone (SIGKILL): end now, without a clean stop, as a killed process would.
    process.on('disconnect', () => process.exit(137));
    process.channel?.unref();
    return true;
  }
  if (v8Args.length === 0 || heapLimitSetByHand(process.execArgv, process.env['NODE_OPTIONS'])) return true;
  const child = spawn(process.execPath, [...v8Args, ...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    // Its own process group: a terminal's Ctrl-C reaches it once, through the parent.
    detached: true,
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signalNumber[signal] ?? 1) : 1)));
  child.on('error', (err) => {
    process.stderr.write(`cannot start the TaskManager with its heap limit: ${err.message}\n`);
    process.exit(1);
  });
  return false;
}

const signalNumber: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
