import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fromServiceError, toServiceError } from '../../src/core/rpc/grpc-errors.js';
import { FailedPreconditionError, FlussError, InvalidArgumentError, NotFoundError, TimeoutError, UnavailableError, UserCodeError } from '../../src/core/errors.js';

function asClientError(status: Partial<grpc.StatusObject>): grpc.ServiceError {
  return Object.assign(new Error(`${status.code} ${status.details}`), status) as grpc.ServiceError;
}

describe('gRPC error mapping', () => {
  it('round-trips every Fluss error class with its one-line message', () => {
    for (const err of [
      new NotFoundError('Job x not found.'),
      new InvalidArgumentError('bad'),
      new FailedPreconditionError('Job x is already FINISHED and cannot be cancelled.'),
      new UnavailableError('gone'),
      new TimeoutError('slow'),
    ]) {
      const back = fromServiceError(asClientError(toServiceError(err)), 'JobManager at h:1');
      expect(back).toBeInstanceOf(err.constructor);
      expect(back.message).toBe(err.message);
    }
    const user = fromServiceError(asClientError(toServiceError(new UserCodeError('Map', new TypeError('boom')))), 'x');
    expect(user.code).toBe('USER_CODE');
    expect(user.message).toBe('Map failed: TypeError: boom');
  });

  it('maps statuses by code, keeps messages to one line, and names the peer for transport failures', () => {
    const internal = toServiceError(new RangeError('line one\n    at stack'));
    expect(internal.code).toBe(grpc.status.INTERNAL);
    expect(internal.details).toBe('RangeError: line one');
    expect(toServiceError(new NotFoundError('n')).code).toBe(grpc.status.NOT_FOUND);
    const unreachable = fromServiceError(asClientError({ code: grpc.status.UNAVAILABLE, details: 'No connection established', metadata: new grpc.Metadata() }), 'JobManager at h:1');
    expect(unreachable).toBeInstanceOf(UnavailableError);
    expect(unreachable.message).toBe('JobManager at h:1 is not reachable');
    const foreign = fromServiceError(asClientError({ code: grpc.status.NOT_FOUND, details: 'nope', metadata: new grpc.Metadata() }), 'x');
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(fromServiceError(new Error('odd'), 'x')).toBeInstanceOf(FlussError);
  });
});
