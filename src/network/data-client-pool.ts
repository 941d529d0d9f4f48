/**
 * One gRPC client per producer TaskManager address, shared by every remote input channel of
 * this TaskManager (gRPC multiplexes their streams over one HTTP/2 connection).
 */
import * as grpc from '@grpc/grpc-js';
import { GRPC_OPTIONS } from '../core/proto.js';

/** Shared data-plane clients, keyed by `host:port`. */
export class DataClientPool {
  private readonly clients = new Map<string, grpc.Client>();

  /** The client for `address`, created on first use. */
  get(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (!client) {
      client = new grpc.Client(address, grpc.credentials.createInsecure(), GRPC_OPTIONS);
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
