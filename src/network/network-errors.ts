/**
 * Errors raised by the data plane, and their encoding in `ProducerMessage.error` strings
 * (`"<FlussErrorCode>: <message>"`), so a consumer rebuilds an error of the right kind.
 */
import { brandErrorClass, describeError, FlussError, type FlussErrorCode, NotFoundError, UnavailableError } from '../core/errors.js';

/** A subscribed partition was not registered in time (or not at all) on its TaskManager. */
export class PartitionNotFoundError extends NotFoundError {
  static {
    brandErrorClass(this, 'PartitionNotFoundError');
  }
}

/** A result partition id was registered twice on one TaskManager. */
export class PartitionAlreadyRegisteredError extends FlussError {
  static {
    brandErrorClass(this, 'PartitionAlreadyRegisteredError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('ALREADY_EXISTS', message, options);
  }
}

/** The producer of a partition failed or released it; the consumer cannot continue. */
export class ProducerFailedError extends FlussError {
  static {
    brandErrorClass(this, 'ProducerFailedError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** A data connection between TaskManagers broke (peer died, stream cancelled). */
export class DataConnectionError extends UnavailableError {
  static {
    brandErrorClass(this, 'DataConnectionError');
  }
}

/** The consumer of a subpartition went away before it received end-of-partition. */
export class ConsumerDisconnectedError extends UnavailableError {
  static {
    brandErrorClass(this, 'ConsumerDisconnectedError');
  }
}

/** Formats `err` for a `ProducerMessage.error` string. */
export function formatErrorFrame(err: unknown): string {
  const code: FlussErrorCode = err instanceof FlussError ? err.code : 'INTERNAL';
  return `${code}: ${describeError(err)}`;
}

/** Rebuilds a typed error from a `ProducerMessage.error` string received from `producer`. */
export function parseErrorFrame(text: string, producer: string): FlussError {
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(text);
  const code = match?.[1];
  const message = match ? match[2]! : text;
  if (code === 'NOT_FOUND') return new PartitionNotFoundError(`${producer}: ${message}`);
  // The producer's user code or data failed (a record it could not send): its line comes first,
  // so the job's failure reads the same whichever of the two tasks reported it first.
  if (code === 'USER_CODE') return new ProducerFailedError(`${message} (reported to ${producer})`);
  return new ProducerFailedError(`${producer} failed: ${message}`);
}
