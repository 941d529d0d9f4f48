/**
 * Bounds on what a peer may send: bundles (`blob.max-size`) and JSON payloads — job graphs,
 * task deployments, metrics reports — (`rpc.json.max-size`). Servers size gRPC's own receive
 * limit from these and check each field against them with a message naming the key.
 */
import type { FlussConfig } from '../../core/config.js';

/** Largest accepted payloads, in bytes. */
export interface PayloadLimits {
  /** Largest job bundle (`blob.max-size`). */
  maxBundleBytes: number;
  /** Largest JSON payload of one field (`rpc.json.max-size`). */
  maxJsonBytes: number;
}

/** The defaults of the configuration schema. */
export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = Object.freeze({ maxBundleBytes: 128 * 1024 * 1024, maxJsonBytes: 16 * 1024 * 1024 });

/** The limits configured in `config`. */
export function payloadLimitsOf(config: FlussConfig): PayloadLimits {
  return { maxBundleBytes: config['blob.max-size'], maxJsonBytes: config['rpc.json.max-size'] };
}
