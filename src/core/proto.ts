/**
 * Loads `proto/fluss.proto` once and exposes the gRPC service definitions.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { InternalError } from './errors.js';

/** Absolute path of fluss.proto (works from src/ under vitest and from dist/). */
export function protoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto', 'fluss.proto');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new InternalError('proto/fluss.proto not found next to the fluss package');
}

/** The service constructors of package `fluss.v1`. */
export interface FlussProto {
  JobManagerService: grpc.ServiceClientConstructor;
  TaskManagerService: grpc.ServiceClientConstructor;
  DataExchange: grpc.ServiceClientConstructor;
}

let cached: FlussProto | undefined;

/** Loads (once) and returns the service definitions. int64 fields come back as numbers. */
export function loadFlussProto(): FlussProto {
  if (cached) return cached;
  const def = protoLoader.loadSync(protoPath(), {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { fluss: { v1: FlussProto } };
  cached = pkg.fluss.v1;
  return cached;
}

/** Channel options shared by every Fluss gRPC client and server. */
export const GRPC_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 256 * 1024 * 1024,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};
