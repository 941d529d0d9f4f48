/**
 * Token authentication of gRPC calls. With `security.auth.token` set, every call to a Fluss
 * server (JobManagerService, TaskManagerService, DataExchange) must carry
 * `authorization: Bearer <token>`; a call without it, or with another token, ends with
 * UNAUTHENTICATED before any handler runs. TaskManagers and the JobManager carry the token too,
 * so with a token configured a process that does not know it can neither register as a
 * TaskManager, fetch bundles, deploy tasks nor read the data plane.
 *
 * A token never travels in plaintext beyond loopback: a client refuses to send it to a
 * non-loopback address without TLS, and a server refuses calls from a non-loopback peer over a
 * plaintext connection (even with the right token, which is then already exposed).
 * Tokens are compared in constant time (over their SHA-256 digests, so length leaks nothing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ConfigurationError } from '../errors.js';
import type { RpcSecurity } from './credentials.js';
import { FLUSS_ERROR_CODE_KEY } from './grpc-errors.js';

/** Metadata key of the bearer token (lower case, as HTTP/2 sends it). */
export const AUTHORIZATION_KEY = 'authorization';

/** True for `localhost`, `127.0.0.0/8`, `::1` and IPv4-mapped loopback, with or without brackets. */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.startsWith('::ffff:')) h = h.slice(7);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/** The host part of `host:port` / `[v6]:port`. */
export function hostOf(address: string): string {
  const a = address.trim().replace(/^[a-z0-9+]+:\/\//i, '');
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const idx = a.lastIndexOf(':');
  return idx > 0 && a.indexOf(':') === idx ? a.slice(0, idx) : a;
}

/** SHA-256 of a header value, so that comparisons take the same time for any length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time check of a presented `authorization` value against `Bearer <token>`. */
export function bearerMatches(presented: unknown, token: string): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(`Bearer ${token}`));
}

/**
 * Throws ConfigurationError when `security` would send its token in plaintext to `address`
 * (not loopback, no TLS). Called before any connection is made.
 */
export function checkTokenTransport(security: RpcSecurity, address: string, peer: string): void {
  if (security.token && !security.tls && !isLoopbackHost(hostOf(address))) {
    throw new ConfigurationError(
      `refusing to send the auth token in plaintext to ${peer}: enable security.ssl.internal.enabled, or connect over loopback`,
    );
  }
}

/** Client interceptors attaching the bearer token to every call (none without a token). */
export function clientAuthInterceptors(security: RpcSecurity): grpc.Interceptor[] {
  const token = security.token;
  if (!token) return [];
  const value = `Bearer ${token}`;
  return [
    (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, listener, next) {
          metadata.set(AUTHORIZATION_KEY, value);
          next(metadata, listener);
        },
      }),
  ];
}

/** Why a call is refused, or undefined when it may proceed. */
function refusal(metadata: grpc.Metadata, call: grpc.ServerInterceptingCallInterface, token: string): string | undefined {
  const secure = call.getAuthContext().transportSecurityType === 'ssl';
  if (!secure) {
    const remote = call.getConnectionInfo().remoteAddress ?? '';
    if (!isLoopbackHost(remote)) return `token authentication needs TLS for peers beyond loopback (${remote || 'unknown peer'} connected in plaintext)`;
  }
  const values = metadata.get(AUTHORIZATION_KEY);
  if (values.length === 0) return 'missing auth token: set security.auth.token or FLUSS_TOKEN';
  if (values.length > 1 || !bearerMatches(values[0], token)) return 'invalid auth token';
  return undefined;
}

/**
 * Server interceptors requiring the bearer token on every call (none without a token). A
 * refused call gets UNAUTHENTICATED with a one-line reason and the `fluss-error-code` trailer;
 * its messages never reach a handler.
 */
export function serverAuthInterceptors(security: RpcSecurity, onRefused?: (reason: string, method: string, peer: string) => void): grpc.ServerInterceptor[] {
  const token = security.token;
  if (!token) return [];
  return [
    (method, call) => {
      let allowed = false;
      return new grpc.ServerInterceptingCall(call, {
        start(next) {
          next({
            onReceiveMetadata(metadata, mdNext) {
              const reason = refusal(metadata, call, token);
              if (reason === undefined) {
                allowed = true;
                mdNext(metadata);
                return;
              }
              onRefused?.(reason, method.path, call.getPeer());
              const trailer = new grpc.Metadata();
              trailer.set(FLUSS_ERROR_CODE_KEY, 'UNAUTHENTICATED');
              call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: reason, metadata: trailer });
            },
            onReceiveMessage(message, msgNext) {
              if (allowed) msgNext(message);
            },
            onReceiveHalfClose(next) {
              if (allowed) next();
            },
          });
        },
      });
    },
  ];
}
