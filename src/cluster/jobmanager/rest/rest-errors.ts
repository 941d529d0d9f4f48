/**
 * Errors of the REST API and their HTTP statuses. Bodies follow Flink: `{"errors": ["…"]}`.
 */
import { FlussError } from '../../../core/errors.js';

/** An error with an HTTP status, thrown by handlers. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

/** The HTTP status of a Fluss error code. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof RestError) return err.status;
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
