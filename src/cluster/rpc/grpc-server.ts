/**
 * Helpers for the server side of Fluss's gRPC services: creating a server with the process's
 * security (token interceptors, bounded message sizes), handlers written as async functions
 * whose thrown errors become typed statuses (never a crashed daemon), and binding a server to
 * `host:port` (port 0 = any free port) with TLS or plaintext credentials.
 */
import * as grpc from '@grpc/grpc-js';
import { UnavailableError } from '../../core/errors.js';
import { GRPC_OPTIONS } from '../../core/proto.js';
import { PLAINTEXT, serverCredentials, type RpcSecurity } from '../../core/rpc/credentials.js';
import { toServiceError } from '../../core/rpc/grpc-errors.js';
import { serverAuthInterceptors } from '../../core/rpc/rpc-auth.js';

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  /** Largest request message accepted, in bytes (larger ones end with RESOURCE_EXHAUSTED). */
  maxReceiveMessageBytes?: number;
  /** Told about every call refused for its token (for a log line). */
  onRefused?: (reason: string, method: string, peer: string) => void;
}

/** A gRPC server requiring `security`'s token on every call, with bounded request sizes. */
export function createGrpcServer(security: RpcSecurity = PLAINTEXT, options: GrpcServerOptions = {}): grpc.Server {
  return new grpc.Server({
    ...GRPC_OPTIONS,
    ...(options.maxReceiveMessageBytes !== undefined ? { 'grpc.max_receive_message_length': options.maxReceiveMessageBytes } : {}),
    interceptors: serverAuthInterceptors(security, options.onRefused),
  });
}

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

/**
 * Binds `server` to `host:port` with `security`'s credentials (mutual TLS or plaintext) and
 * resolves with the address actually bound (`host:port`).
 */
export function bindServer(server: grpc.Server, host: string, port: number, security: RpcSecurity = PLAINTEXT): Promise<string> {
  return new Promise((resolve, reject) => {
    const target = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(target, serverCredentials(security), (err, boundPort) => {
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
