/**
 * One gRPC client connection with Fluss's call discipline: every call first waits (at most
 * `connectTimeoutMs`) for the channel to be ready, so an unreachable peer fails fast with
 * `UnavailableError('<peer> is not reachable')` instead of hanging, and every unary call carries
 * a deadline. Errors arrive as typed Fluss errors (see grpc-errors.ts). The connection uses the
 * process's {@link RpcSecurity}: mutual TLS when configured, and the bearer token on every call
 * (refused up front when it would travel in plaintext beyond loopback).
 */
import * as grpc from '@grpc/grpc-js';
import { InternalError, UnavailableError } from '../../core/errors.js';
import { GRPC_OPTIONS } from '../../core/proto.js';
import { channelCredentials, describeTransport, PLAINTEXT, type RpcSecurity } from '../../core/rpc/credentials.js';
import { fromServiceError } from '../../core/rpc/grpc-errors.js';
import { checkTokenTransport, clientAuthInterceptors } from '../../core/rpc/rpc-auth.js';
import { probeTcp } from './tcp-probe.js';

/** Connection options of Fluss clients. */
export interface RpcChannelOptions {
  /** How long a call waits for the connection before failing as unreachable (default 5000). */
  connectTimeoutMs?: number;
  /** Default deadline of unary calls once connected (default 30000). */
  callTimeoutMs?: number;
  /** TLS material and token (default: plaintext, no token). */
  security?: RpcSecurity;
  /**
   * Metadata for every unary call, computed right before it is sent (a leader's fencing token);
   * what it throws fails the call unsent.
   */
  callMetadata?: () => Record<string, string>;
}

type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: unknown) => void,
) => grpc.ClientUnaryCall;

type StreamMethod = (request: unknown, options: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

/** A client of one gRPC service at one address. */
export class RpcChannel {
  /** `<Service> at <address>`, used in error messages. */
  readonly peer: string;
  private readonly client: grpc.Client;
  private readonly connectTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private readonly security: RpcSecurity;
  private readonly callMetadata: (() => Record<string, string>) | undefined;
  private closed = false;

  constructor(service: grpc.ServiceClientConstructor, peerName: string, readonly address: string, options: RpcChannelOptions = {}) {
    this.peer = `${peerName} at ${address}`;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.security = options.security ?? PLAINTEXT;
    this.callMetadata = options.callMetadata;
    checkTokenTransport(this.security, address, this.peer);
    this.client = new service(address, channelCredentials(this.security), {
      ...GRPC_OPTIONS,
      interceptors: clientAuthInterceptors(this.security),
    });
  }

  /** Resolves once the channel is connected; rejects with UnavailableError after the connect timeout. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new UnavailableError(`${this.peer}: client is closed`));
    const channel = this.client.getChannel();
    if (channel.getConnectivityState(true) === grpc.connectivityState.READY) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + this.connectTimeoutMs, (err) => {
        if (!err) {
          resolve();
          return;
        }
        // A port that accepts TCP but no gRPC channel is a transport mismatch (TLS on one side
        // only, or certificates from another CA): say so instead of "not reachable".
        void tcpAccepts(this.address, 1_000).then((open) =>
          reject(
            new UnavailableError(
              open ? `${this.peer} accepts connections but refused the channel ${describeTransport(this.security)}` : `${this.peer} is not reachable`,
              { cause: err },
            ),
          ),
        );
      });
    });
  }

  /** Calls unary `method` with a deadline (`timeoutMs`, default the channel's call timeout). */
  async unary<Res>(method: string, request: unknown, timeoutMs?: number): Promise<Res> {
    await this.ready();
    const fn = this.method<UnaryMethod>(method);
    const metadata = new grpc.Metadata();
    if (this.callMetadata) for (const [k, v] of Object.entries(this.callMetadata())) metadata.set(k, v);
    return new Promise<Res>((resolve, reject) => {
      const deadline = Date.now() + (timeoutMs ?? this.callTimeoutMs);
      fn.call(this.client, request, metadata, { deadline }, (err, response) => {
        if (err) reject(fromServiceError(err, this.peer));
        else resolve(response as Res);
      });
    });
  }

  /**
   * Opens server-streaming `method` and calls `onMessage` per message; resolves when the server
   * ends the stream. Long-lived, so no deadline: keepalive pings detect a dead peer instead.
   */
  async serverStream<Msg>(method: string, request: unknown, onMessage: (message: Msg) => void): Promise<void> {
    await this.ready();
    const fn = this.method<StreamMethod>(method);
    return new Promise<void>((resolve, reject) => {
      const call = fn.call(this.client, request, {});
      let failed = false;
      call.on('data', (message: unknown) => {
        try {
          onMessage(message as Msg);
        } catch (err) {
          failed = true;
          call.cancel();
          reject(err);
        }
      });
      call.on('error', (err) => {
        if (!failed) reject(fromServiceError(err, this.peer));
        failed = true;
      });
      call.on('end', () => {
        if (!failed) resolve();
      });
    });
  }

  /** Closes the connection; later calls fail with UnavailableError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private method<F>(name: string): F {
    const fn = (this.client as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new InternalError(`gRPC method ${name} does not exist on ${this.peer}`);
    return fn as F;
  }
}

/** True when a TCP connection to `host:port` opens within `timeoutMs`. */
async function tcpAccepts(address: string, timeoutMs: number): Promise<boolean> {
  return (await probeTcp(address, timeoutMs)) === 'open';
}
