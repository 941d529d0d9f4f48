/**
 * Deletes checkpoint directories for a job's CheckpointCoordinator: aborted, subsumed and
 * dropped ones, and orphans (directories no checkpoint refers to). Never a retained checkpoint.
 * Tracks the deletions under way, so a new checkpoint directory is only created once the
 * discarded ones left the job's `chk-*`.
 */
import { describeError } from '../core/errors.js';
import type { CheckpointCoordinatorListener, CheckpointStorageAccess } from './checkpoint-coordinator-types.js';
import type { CompletedCheckpointStore } from './completed-checkpoint-store.js';
import { SharedStateRegistry, sharedFilesOf } from './shared-state-registry.js';

/** The directory deletions of one job's checkpoints. */
export class CheckpointDiscarder {
  /** Discards under way (until the directory left the job's `chk-*`). */
  private readonly discards = new Set<Promise<void>>();
  /** References of the retained checkpoints to shared files (incremental checkpoints). */
  private readonly shared = new SharedStateRegistry();

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
    await this.collectSharedState();
  }

  /**
   * Brings the shared state registry in line with the retained checkpoints (reading the
   * `_metadata` of those recovered without it) and deletes the shared files it lets go. When a
   * retained checkpoint's `_metadata` cannot be read, nothing is deleted.
   */
  async collectSharedState(): Promise<void> {
    if (!this.storage.sweepShared) return;
    try {
      const retained = this.store.all();
      for (const c of retained) {
        if (this.shared.has(c.checkpointId)) continue;
        const metadata = c.metadata ?? (await this.storage.readMetadata?.(c.externalPath));
        if (!metadata) return;
        this.shared.register(c.checkpointId, sharedFilesOf(metadata));
      }
      const ids = new Set(retained.map((c) => c.checkpointId));
      for (const id of this.shared.checkpointIds()) if (!ids.has(id)) this.shared.unregister(id);
      const oldest = retained[0]?.checkpointId;
      await this.storage.sweepShared((name) => this.shared.isCollectable(name, oldest));
    } catch (err) {
      this.listener.onWarning?.(`Could not collect shared checkpoint files: ${describeError(err)}`);
    }
  }
}
