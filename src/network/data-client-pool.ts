/**
 * One gRPC client per producer TaskManager address, shared by every remote input channel of
 * this TaskManager (gRPC multiplexes their streams over one HTTP/2 connection). Clients use the
 * TaskManager's transport security: mutual TLS when configured, and the auth token on every
 * subscription.
 */
import * as grpc from '@grpc/grpc-js';
import { channelCredentials, PLAINTEXT, type RpcSecurity } from '../core/rpc/credentials.js';
import { checkTokenTransport, clientAuthInterceptors } from '../core/rpc/rpc-auth.js';
import { GRPC_OPTIONS } from '../core/proto.js';

/** Shared data-plane clients, keyed by `host:port`. */
export class DataClientPool {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(private readonly security: RpcSecurity = PLAINTEXT) {}

  /**
   * The client for `address`, created on first use. Throws ConfigurationError when the token
   * would travel in plaintext to a non-loopback producer.
   */
  get(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (!client) {
      checkTokenTransport(this.security, address, `TaskManager at ${address}`);
      client = new grpc.Client(address, channelCredentials(this.security), {
        ...GRPC_OPTIONS,
        interceptors: clientAuthInterceptors(this.security),
      });
      this.clients.set(address, client);
    }
    return client;
  }

  /** Closes every client (their open streams are cancelled). */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
