/**
 * Errors of the REST API and their HTTP statuses. Bodies follow Flink: `{"errors": ["…"]}`.
 */
import { brandErrorClass, FlussError, type FlussErrorCode } from '../../../core/errors.js';

/** The Fluss code of an HTTP status a handler answers with. */
function codeOfStatus(status: number): FlussErrorCode {
  switch (status) {
    case 400:
    case 413:
      return 'INVALID_ARGUMENT';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'FAILED_PRECONDITION';
    default:
      return 'INTERNAL';
  }
}

/** A REST request that a handler refuses with an exact HTTP status (413, 409, …). */
export class RestApiError extends FlussError {
  static {
    brandErrorClass(this, 'RestApiError');
  }

  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(codeOfStatus(status), message, options);
  }
}

/** The HTTP status of a Fluss error code. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof RestApiError) return err.status;
  if (err instanceof FlussError) {
    switch (err.code) {
      case 'NOT_FOUND':
        return 404;
      case 'INVALID_ARGUMENT':
        return 400;
      case 'FAILED_PRECONDITION':
      case 'ALREADY_EXISTS':
        return 409;
      case 'UNAVAILABLE':
        return 503;
      case 'UNAUTHENTICATED':
        return 401;
      default:
        return 500;
    }
  }
  return 500;
}

/** Flink's error body. */
export function errorBody(message: string): { errors: string[] } {
  return { errors: [message] };
}
