/**
 * How the CLI reports errors: one line on stderr (`Error: …`) and a non-zero exit code. User
 * mistakes never show a stack trace; internal errors show it only with `FLUSS_DEBUG=1`.
 */
import { describeError, FlussError } from '../core/errors.js';
import type { CliIO } from './cli-io.js';

/** Exit code of every failed command. */
export const EXIT_FAILURE = 1;

/** True for errors the user caused (and can fix) rather than bugs. */
export function isUserMistake(err: unknown): boolean {
  return err instanceof FlussError && err.code !== 'INTERNAL';
}

/** The single line printed for `err`. */
export function errorLine(err: unknown): string {
  const text = describeError(err).split(/\r?\n/, 1)[0]?.trim() || 'unknown error';
  return `Error: ${text}`;
}

/** Prints `err` as the CLI does and returns the exit code to use. */
export function reportError(err: unknown, io: CliIO): number {
  io.err(errorLine(err));
  if (!isUserMistake(err) && io.env['FLUSS_DEBUG'] === '1' && err instanceof Error && err.stack) {
    io.err(err.stack);
  }
  return EXIT_FAILURE;
}
