/**
 * Fencing tokens, as Flink's FencedRpcEndpoint uses them: every leader term has a token (here
 * the etcd revision that created the leader key, so a later term always has a larger one); a
 * JobManager checks its own term before every write to the HA store or the checkpoint storage,
 * and stamps the token on every RPC to a TaskManager, which refuses tokens older than the
 * newest it has seen. A leader that lost its lease (paused, partitioned) therefore neither
 * writes a pointer or `_metadata`, nor deletes a file, nor deploys, triggers or commits.
 */
import type * as grpc from '@grpc/grpc-js';
import { brandErrorClass, FailedPreconditionError } from '../../core/errors.js';
import { toServiceError } from '../../core/rpc/grpc-errors.js';

/** A change of the HA store recorded by a guarded write: a version key put, or a job's keys removed. */
export interface VersionRecord {
  /** Relative to the cluster's `jobs/` prefix: put with the term's token. */
  put?: string;
  /** Relative to the cluster's `jobs/` prefix: every key below it deleted. */
  deletePrefix?: string;
}

/** gRPC metadata key carrying the sender's fencing token. */
export const FENCING_TOKEN_HEADER = 'fluss-fencing-token';

/** A leader term whose writes must stop once another term may exist. */
export interface LeaderFence {
  /** The term's token (a decimal etcd revision); undefined without high availability. */
  readonly token: string | undefined;
  /** True while the term certainly holds: the lease is unexpired by the local monotonic clock. */
  isValid(): boolean;
  /**
   * Resolves when the term still holds: the local lease check and, with etcd, a linearizable
   * compare of the leader key's creation revision. Rejects with {@link FencedError} otherwise.
   * `what` names the guarded action in the error.
   */
  check(what: string, record?: VersionRecord): Promise<void>;
}

/** A write or RPC refused because its leader term is over. */
export class FencedError extends FailedPreconditionError {
  static {
    brandErrorClass(this, 'FencedError');
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No high availability: every action is allowed and RPCs carry no token. */
export const NO_FENCE: LeaderFence = {
  token: undefined,
  isValid: () => true,
  check: () => Promise.resolve(),
};

/** Compares two decimal tokens (revisions exceed 2^53 only in theory; BigInt keeps them exact). */
export function compareTokens(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The TaskManager's side: the newest token seen (from an RPC or from the leader published in
 * etcd). A call with an older token is refused; a call without one is accepted only while no
 * token was ever seen (a cluster without high availability).
 */
export class FencingTokenGate {
  private newest: string | undefined;

  /** The newest token seen so far. */
  get current(): string | undefined {
    return this.newest;
  }

  /** Learns a token (the leader published in etcd); older ones are ignored. */
  observe(token: string): void {
    if (this.newest === undefined || compareTokens(token, this.newest) > 0) this.newest = token;
  }

  /** Throws {@link FencedError} for a stale or missing token; learns a newer one. */
  admit(token: string | undefined, method: string): void {
    if (token === undefined) {
      if (this.newest !== undefined) throw new FencedError(`${method} refused: the call carries no fencing token, and the leader's is ${this.newest}`);
      return;
    }
    if (!/^\d{1,30}$/.test(token)) throw new FencedError(`${method} refused: malformed fencing token`);
    if (this.newest !== undefined && compareTokens(token, this.newest) < 0) {
      throw new FencedError(`${method} refused: fencing token ${token} is stale (the current leader's is ${this.newest})`);
    }
    this.observe(token);
  }
}

/** The token a call carries, if any. */
export function tokenOf(metadata: grpc.Metadata): string | undefined {
  const v = metadata.get(FENCING_TOKEN_HEADER)[0];
  return v === undefined ? undefined : String(v);
}

/**
 * Wraps every unary handler of a service so that the call is refused (FAILED_PRECONDITION)
 * before the handler runs when its fencing token is stale.
 */
export function fencedHandlers(handlers: grpc.UntypedServiceImplementation, gate: FencingTokenGate, onRefused?: (method: string, message: string) => void): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
    out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      try {
        gate.admit(tokenOf(call.metadata), name);
      } catch (err) {
        onRefused?.(name, (err as Error).message);
        callback(toServiceError(err));
        return;
      }
      unary(call, callback);
    }) as grpc.handleUnaryCall<unknown, unknown>;
  }
  return out;
}

/**
 * The metadata of every RPC a leader sends: its token, after the local check that its term
 * still holds (synchronous, right before the call leaves, so a leader resumed after a pause
 * sends nothing once its lease ran out). Nothing without high availability.
 */
export function fencingMetadata(fence: LeaderFence): (() => Record<string, string>) | undefined {
  if (fence.token === undefined) return undefined;
  const token = fence.token;
  return () => {
    if (!fence.isValid()) throw new FencedError(`RPC refused: the leadership of term ${token} is lost`);
    return { [FENCING_TOKEN_HEADER]: token };
  };
}

/** Throws {@link FencedError} unless the term holds by the local clock (synchronous, no I/O). */
export function assertHolds(fence: LeaderFence, what: string): void {
  if (!fence.isValid()) throw new FencedError(`${what} refused: the leadership of term ${fence.token ?? '?'} is lost`);
}
