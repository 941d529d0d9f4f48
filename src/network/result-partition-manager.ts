/**
 * The registry of one TaskManager's result partitions. Consumers (local channels and remote
 * subscriptions) may ask for a partition before its producer task registered it; they wait
 * up to the request timeout. Released partitions leave a tombstone so a late consumer learns
 * the cause at once instead of waiting for the timeout.
 */
import { PartitionAlreadyRegisteredError, PartitionNotFoundError } from './network-errors.js';
import type { PipelinedResultPartition } from './result-partition.js';

/** Receives the partition, or the reason it cannot be had. */
export type PartitionCallback = (partition: PipelinedResultPartition | undefined, error: Error | undefined) => void;

interface Waiter {
  callback: PartitionCallback;
  timer: NodeJS.Timeout;
}

const MAX_TOMBSTONES = 1024;

/** Job id encoded in a result partition id (`jobId/edge/subtask/attempt`). */
export function jobIdOfPartition(partitionId: string): string {
  const slash = partitionId.indexOf('/');
  return slash < 0 ? partitionId : partitionId.slice(0, slash);
}

/** Registered partitions of one TaskManager and the consumers waiting for them. */
export class ResultPartitionManager {
  private readonly partitions = new Map<string, PipelinedResultPartition>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly tombstones = new Map<string, Error>();

  constructor(private readonly taskManagerId: string) {}

  /** Registers a new partition and hands it to consumers already waiting for it. */
  register(partition: PipelinedResultPartition): void {
    if (this.partitions.has(partition.id)) {
      throw new PartitionAlreadyRegisteredError(`result partition ${partition.id} is already registered on TaskManager ${this.taskManagerId}`);
    }
    this.tombstones.delete(partition.id);
    this.partitions.set(partition.id, partition);
    this.settleWaiters(partition.id, partition, undefined);
  }

  /** Forgets a partition; `cause` (when it failed) is kept for late consumers. */
  unregister(partition: PipelinedResultPartition, cause: Error | null): void {
    if (this.partitions.get(partition.id) === partition) this.partitions.delete(partition.id);
    if (cause !== null) {
      this.tombstones.set(partition.id, cause);
      if (this.tombstones.size > MAX_TOMBSTONES) {
        const oldest = this.tombstones.keys().next().value;
        if (oldest !== undefined) this.tombstones.delete(oldest);
      }
    }
  }

  /**
   * Calls `callback` (once, never synchronously re-entrant with registration) with the
   * partition as soon as it is registered, or with an error after `timeoutMs`. Returns a
   * function that cancels the request.
   */
  request(partitionId: string, timeoutMs: number, callback: PartitionCallback): () => void {
    const partition = this.partitions.get(partitionId);
    if (partition) {
      callback(partition, undefined);
      return () => {};
    }
    const tombstone = this.tombstones.get(partitionId);
    if (tombstone) {
      callback(undefined, tombstone);
      return () => {};
    }
    let set = this.waiters.get(partitionId);
    if (!set) {
      set = new Set();
      this.waiters.set(partitionId, set);
    }
    const waiters = set;
    const waiter: Waiter = {
      callback,
      timer: setTimeout(() => {
        waiters.delete(waiter);
        if (waiters.size === 0) this.waiters.delete(partitionId);
        callback(
          undefined,
          new PartitionNotFoundError(
            `result partition ${partitionId} was not registered on TaskManager ${this.taskManagerId} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs),
    };
    waiters.add(waiter);
    return () => {
      clearTimeout(waiter.timer);
      waiters.delete(waiter);
      if (waiters.size === 0 && this.waiters.get(partitionId) === waiters) this.waiters.delete(partitionId);
    };
  }

  /** Fails the requests waiting for `partitionId` with `cause`. */
  failWaitersOf(partitionId: string, cause: Error): void {
    this.settleWaiters(partitionId, undefined, cause);
  }

  /** The registered partition `partitionId`, if any. */
  get(partitionId: string): PipelinedResultPartition | undefined {
    return this.partitions.get(partitionId);
  }

  /** Registered partitions, optionally only those of one job. */
  list(jobId?: string): PipelinedResultPartition[] {
    const out: PipelinedResultPartition[] = [];
    for (const [id, p] of this.partitions) if (jobId === undefined || jobIdOfPartition(id) === jobId) out.push(p);
    return out;
  }

  /** Fails the waiting requests (of one job, or all) with `cause`. */
  failWaiters(cause: Error, jobId?: string): void {
    for (const id of [...this.waiters.keys()]) {
      if (jobId !== undefined && jobIdOfPartition(id) !== jobId) continue;
      this.failWaitersOf(id, cause);
    }
  }

  /** Hands the requests waiting for `partitionId` their answer and forgets them. */
  private settleWaiters(partitionId: string, partition: PipelinedResultPartition | undefined, error: Error | undefined): void {
    const set = this.waiters.get(partitionId);
    if (!set) return;
    this.waiters.delete(partitionId);
    for (const w of set) {
      clearTimeout(w.timer);
      w.callback(partition, error);
    }
  }
}
