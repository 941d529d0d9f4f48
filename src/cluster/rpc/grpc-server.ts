/**
 * Helpers for the server side of Fluss's gRPC services: handlers written as async functions
 * whose thrown errors become typed statuses (never a crashed daemon), and binding a server to
 * `host:port` (port 0 = any free port).
 */
import * as grpc from '@grpc/grpc-js';
import { UnavailableError } from '../../core/errors.js';
import { toServiceError } from './grpc-errors.js';

/** Wraps an async unary handler: its result is the response, anything it throws a typed status. */
export function unaryHandler<Req, Res>(handler: (request: Req) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let pending: Promise<Res> | Res;
    try {
      pending = handler(call.request);
    } catch (err) {
      callback(toServiceError(err));
      return;
    }
    Promise.resolve(pending).then(
      (response) => callback(null, response),
      (err: unknown) => callback(toServiceError(err)),
    );
  };
}

/** Ends a server stream with a typed status for `err`. */
export function failServerStream(call: grpc.ServerWritableStream<unknown, unknown>, err: unknown): void {
  const status = toServiceError(err);
  call.emit('error', status);
}

/** Binds `server` to `host:port` and resolves with the address actually bound (`host:port`). */
export function bindServer(server: grpc.Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const target = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, boundPort) => {
      if (err) reject(new UnavailableError(`cannot bind gRPC server to ${target}: ${err.message}`, { cause: err }));
      else resolve(target.replace(/:\d+$/, `:${boundPort}`));
    });
  });
}

/** Shuts a server down gracefully, forcing it after `graceMs`. */
export function shutdownServer(server: grpc.Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
