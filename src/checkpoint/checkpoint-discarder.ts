/**
 * Deletes checkpoint directories for a job's CheckpointCoordinator: aborted, subsumed and
 * dropped ones, and orphans (directories no checkpoint refers to). Never a retained checkpoint.
 * Tracks the deletions under way, so a new checkpoint directory is only created once the
 * discarded ones left the job's `chk-*`.
 */
import { describeError } from '../core/errors.js';
import type { CheckpointCoordinatorListener, CheckpointStorageAccess } from './checkpoint-coordinator-types.js';
import type { CompletedCheckpointStore } from './completed-checkpoint-store.js';

/** The directory deletions of one job's checkpoints. */
export class CheckpointDiscarder {
  /** Discards under way (until the directory left the job's `chk-*`). */
  private readonly discards = new Set<Promise<void>>();

  constructor(
    private readonly store: CompletedCheckpointStore,
    private readonly storage: CheckpointStorageAccess,
    private readonly listener: CheckpointCoordinatorListener,
  ) {}

  /** Deletes `dir` in the background (failures are warned of); resolves once it is gone. */
  discard(dir: string): Promise<void> {
    // Never a retained checkpoint, whatever path led here.
    if (this.store.all().some((c) => c.externalPath === dir)) {
      this.listener.onWarning?.(`Refusing to delete ${dir}: it is a retained checkpoint`);
      return Promise.resolve();
    }
    return this.track(
      this.storage.discard(dir).catch((err: unknown) => {
        this.listener.onWarning?.(`Could not delete checkpoint directory ${dir}: ${describeError(err)}`);
      }),
    );
  }

  /** Counts `done` as a deletion under way until it settles. */
  track(done: Promise<void>): Promise<void> {
    const tracked = done.finally(() => this.discards.delete(tracked));
    this.discards.add(tracked);
    return tracked;
  }

  /** Resolves once every directory deletion started so far ended. */
  async whenDiscarded(): Promise<void> {
    while (this.discards.size > 0) await Promise.all([...this.discards]);
  }

  /**
   * Deletes the job's `chk-*` directories up to `upTo` whose ids are not in `keep()` (retained or
   * in flight, asked once the deletions under way ended).
   */
  async collectOrphans(keep: () => ReadonlySet<number>, upTo: number): Promise<void> {
    await this.whenDiscarded();
    if (!this.storage.sweep) return;
    try {
      const removed = await this.storage.sweep(keep(), upTo);
      if (removed.length > 0) this.listener.onWarning?.(`Deleted checkpoint directories no checkpoint refers to: ${removed.map((id) => `chk-${id}`).join(' ')}`);
    } catch (err) {
      this.listener.onWarning?.(`Could not collect orphaned checkpoint directories: ${describeError(err)}`);
    }
  }
}
