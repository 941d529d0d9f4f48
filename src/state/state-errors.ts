/**
 * Errors of the state backends, typed on top of src/core/errors.ts so that they map to stable
 * codes: a key or value that cannot be stored is the user's mistake (INVALID_ARGUMENT); a
 * failing LevelDB is an internal failure with the database path and the LevelDB error as cause.
 */
import { FlussError, InvalidArgumentError } from '../core/errors.js';

/** A state key, namespace or value cannot be serialised (or stored bytes cannot be read). */
export class StateSerializationError extends InvalidArgumentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The local state database failed (open, read, write, iterate). */
export class StateBackendError extends FlussError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
  }
}
