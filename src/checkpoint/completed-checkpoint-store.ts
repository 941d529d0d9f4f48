/**
 * The completed checkpoints a job keeps (`state.checkpoints.num-retained`, default 3). Adding a
 * checkpoint returns the ones it subsumes, which the caller deletes. Savepoints never enter the
 * store: retention never deletes them. A recovered JobManager seeds the store with the
 * checkpoints the HA store listed, so they are subsumed and deleted like any others. Pure
 * bookkeeping.
 */
import type { CheckpointMetadata } from './checkpoint-types.js';
import { InvalidArgumentError } from '../core/errors.js';

/** A checkpoint whose `_metadata` exists. */
export interface CompletedCheckpoint {
  checkpointId: number;
  timestamp: number;
  /** ms since epoch when `_metadata` was written. */
  completionTimestamp: number;
  savepoint: boolean;
  /** Absolute directory holding `_metadata`. */
  externalPath: string;
  /** The `_metadata` written; absent for a checkpoint recovered from the HA store and not read yet. */
  metadata?: CheckpointMetadata;
}

/** The retained completed checkpoints of one job, oldest first. */
export class CompletedCheckpointStore {
  private readonly checkpoints: CompletedCheckpoint[] = [];

  /**
   * `initial`: checkpoints a previous JobManager retained (HA recovery). More than
   * `maxRetained` of them are kept until the next completed checkpoint subsumes the excess.
   */
  constructor(
    readonly maxRetained: number,
    initial: readonly CompletedCheckpoint[] = [],
  ) {
    if (!Number.isInteger(maxRetained) || maxRetained < 1) throw new InvalidArgumentError(`maxRetained must be a positive integer, got ${maxRetained}`);
    this.checkpoints.push(...initial);
    this.checkpoints.sort((a, b) => a.checkpointId - b.checkpointId);
  }

  /** Adds `checkpoint`; returns the older checkpoints beyond the retained count (to delete). */
  add(checkpoint: CompletedCheckpoint): CompletedCheckpoint[] {
    this.checkpoints.push(checkpoint);
    this.checkpoints.sort((a, b) => a.checkpointId - b.checkpointId);
    const excess = this.checkpoints.length - this.maxRetained;
    return excess > 0 ? this.checkpoints.splice(0, excess) : [];
  }

  /** The newest completed checkpoint, or undefined. */
  latest(): CompletedCheckpoint | undefined {
    return this.checkpoints.at(-1);
  }

  /** Every retained checkpoint, oldest first. */
  all(): readonly CompletedCheckpoint[] {
    return this.checkpoints;
  }

  /** Removes checkpoint `checkpointId` (found damaged on restore); returns it, or undefined. */
  remove(checkpointId: number): CompletedCheckpoint | undefined {
    const i = this.checkpoints.findIndex((c) => c.checkpointId === checkpointId);
    return i < 0 ? undefined : this.checkpoints.splice(i, 1)[0];
  }

  /** Removes and returns every retained checkpoint (job shutdown with deletion). */
  clear(): CompletedCheckpoint[] {
    return this.checkpoints.splice(0);
  }
}
