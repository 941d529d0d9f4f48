/**
 * Maps Fluss's typed errors to gRPC statuses and back, so that a server handler throwing
 * `NotFoundError('Job x not found.')` arrives at the client as a `NotFoundError` with the same
 * one-line message. The exact Fluss code travels in the `fluss-error-code` trailer; a status
 * without it (a transport failure, a foreign server) is mapped by its gRPC code.
 */
import * as grpc from '@grpc/grpc-js';
import {
  ConfigurationError,
  describeError,
  FailedPreconditionError,
  FlussError,
  type FlussErrorCode,
  InternalError,
  InvalidArgumentError,
  IOError,
  JobBuildError,
  NotFoundError,
  TimeoutError,
  UnavailableError,
  UnsupportedOperationError,
} from '../errors.js';

/** Trailer key carrying the exact {@link FlussErrorCode}. */
export const FLUSS_ERROR_CODE_KEY = 'fluss-error-code';

const TO_GRPC: Record<FlussErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  CONFIGURATION: grpc.status.INVALID_ARGUMENT,
  JOB_BUILD: grpc.status.INVALID_ARGUMENT,
  USER_CODE: grpc.status.ABORTED,
  UNSUPPORTED: grpc.status.UNIMPLEMENTED,
  IO: grpc.status.INTERNAL,
  INTERNAL: grpc.status.INTERNAL,
};

const KNOWN_CODES = new Set<string>(Object.keys(TO_GRPC));

/** Keeps a message to one line: status details must not carry stack traces or newlines. */
function oneLine(message: string): string {
  const line = message.split(/\r?\n/, 1)[0] ?? '';
  return line.trim() || 'unknown error';
}

/**
 * Turns anything a handler threw into a status for the callback of a unary call or
 * `call.destroy()` / `call.emit('error')` of a stream. Non-Fluss errors become INTERNAL.
 */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> & Error {
  const flussCode: FlussErrorCode = err instanceof FlussError ? err.code : 'INTERNAL';
  const details = oneLine(describeError(err));
  const metadata = new grpc.Metadata();
  metadata.set(FLUSS_ERROR_CODE_KEY, flussCode);
  const serviceError = new Error(details) as Partial<grpc.StatusObject> & Error;
  serviceError.code = TO_GRPC[flussCode];
  serviceError.details = details;
  serviceError.metadata = metadata;
  return serviceError;
}

/** Builds the Fluss error class for `code` with `message`. */
export function flussErrorOf(code: FlussErrorCode, message: string, cause?: unknown): FlussError {
  const options = cause === undefined ? undefined : { cause };
  switch (code) {
    case 'INVALID_ARGUMENT':
      return new InvalidArgumentError(message, options);
    case 'NOT_FOUND':
      return new NotFoundError(message, options);
    case 'FAILED_PRECONDITION':
      return new FailedPreconditionError(message, options);
    case 'UNAVAILABLE':
      return new UnavailableError(message, options);
    case 'DEADLINE_EXCEEDED':
      return new TimeoutError(message, options);
    case 'CONFIGURATION':
      return new ConfigurationError(message, options);
    case 'JOB_BUILD':
      return new JobBuildError(message, options);
    case 'UNSUPPORTED':
      return new UnsupportedOperationError(message, options);
    case 'IO':
      return new IOError(message, options);
    case 'INTERNAL':
      return new InternalError(message, options);
    default:
      // ALREADY_EXISTS, UNAUTHENTICATED, USER_CODE (the operator name is part of the message)
      return new FlussError(code, message, options);
  }
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

/**
 * Turns a failed gRPC call into a typed Fluss error. `what` names the peer
 * (`JobManager at host:port`) for the messages of transport failures, which carry no Fluss code.
 */
export function fromServiceError(err: unknown, what: string): FlussError {
  if (err instanceof FlussError) return err;
  if (!isServiceError(err)) return new InternalError(`${what}: ${oneLine(describeError(err))}`, { cause: err });
  const details = oneLine(err.details || err.message);
  const sent = err.metadata?.get(FLUSS_ERROR_CODE_KEY)[0];
  if (typeof sent === 'string' && KNOWN_CODES.has(sent)) return flussErrorOf(sent as FlussErrorCode, details, err);
  switch (err.code) {
    case grpc.status.UNAVAILABLE:
      return new UnavailableError(`${what} is not reachable`, { cause: err });
    case grpc.status.DEADLINE_EXCEEDED:
      return new TimeoutError(`${what} did not answer in time`, { cause: err });
    case grpc.status.CANCELLED:
      return new UnavailableError(`${what}: call cancelled (${details})`, { cause: err });
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.OUT_OF_RANGE:
    case grpc.status.RESOURCE_EXHAUSTED:
      return new InvalidArgumentError(details, { cause: err });
    case grpc.status.NOT_FOUND:
      return new NotFoundError(details, { cause: err });
    case grpc.status.FAILED_PRECONDITION:
      return new FailedPreconditionError(details, { cause: err });
    case grpc.status.ALREADY_EXISTS:
      return new FlussError('ALREADY_EXISTS', details, { cause: err });
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return new FlussError('UNAUTHENTICATED', details, { cause: err });
    case grpc.status.UNIMPLEMENTED:
      return new InternalError(`${what} does not implement this call: ${details}`, { cause: err });
    default:
      return new InternalError(`${what}: ${details}`, { cause: err });
  }
}
