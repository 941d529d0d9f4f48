/**
 * The checkpoint storage of a job run by an elected leader: every write and deletion is
 * preceded by the leader's fence check, so a JobManager whose term is over neither completes a
 * checkpoint (`_metadata`) nor deletes a checkpoint directory.
 */
import type { CheckpointMetadata } from '../../checkpoint/checkpoint-types.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointStorage, METADATA_FILE, writeFileAtomically } from '../../checkpoint/checkpoint-storage.js';
import { assertHolds, type LeaderFence } from './fencing.js';

/** {@link CheckpointStorage} behind a {@link LeaderFence}. */
export class FencedCheckpointStorage extends CheckpointStorage {
  constructor(
    private readonly fence: LeaderFence,
    jobId: string,
    checkpointsDir: string | undefined,
    savepointsDir: string | undefined,
  ) {
    super(jobId, checkpointsDir, savepointsDir);
  }

  override async initCheckpointDir(checkpointId: number): Promise<string> {
    await this.fence.check(`creating chk-${checkpointId} of job ${this.jobId}`);
    return super.initCheckpointDir(checkpointId);
  }

  override async initSavepointDir(targetDir: string | undefined): Promise<string> {
    await this.fence.check(`creating a savepoint directory of job ${this.jobId}`);
    return super.initSavepointDir(targetDir);
  }

  /**
   * `_metadata` makes a checkpoint complete: the term is checked on etcd before the write, on
   * the local clock right before the rename, and again after it — a process paused in between
   * (past its lease) takes its own file back and reports the checkpoint as not completed.
   */
  override async writeMetadata(dir: string, metadata: CheckpointMetadata): Promise<void> {
    const what = `completing checkpoint ${metadata.checkpointId} of job ${this.jobId}`;
    await this.fence.check(what);
    const path = join(dir, METADATA_FILE);
    await writeFileAtomically(path, `${JSON.stringify(metadata)}\n`, () => assertHolds(this.fence, what));
    if (!this.fence.isValid()) {
      await rm(path, { force: true });
      assertHolds(this.fence, what);
    }
  }

  override async discard(dir: string): Promise<void> {
    await this.fence.check(`deleting ${dir}`);
    return super.discard(dir);
  }

  override async purgeDiscarded(): Promise<void> {
    await this.fence.check(`deleting discarded checkpoints of job ${this.jobId}`);
    return super.purgeDiscarded();
  }

  override async sweep(keep: ReadonlySet<number>, upTo: number): Promise<number[]> {
    await this.fence.check(`deleting orphaned checkpoints of job ${this.jobId}`);
    return super.sweep(keep, upTo);
  }

  override async removeJobDirIfEmpty(): Promise<void> {
    await this.fence.check(`removing the checkpoint directory of job ${this.jobId}`);
    return super.removeJobDirIfEmpty();
  }
}

/** The job's checkpoint storage: fenced when a leader term guards it. */
export function checkpointStorageOf(fence: LeaderFence, jobId: string, checkpointsDir: string | undefined, savepointsDir: string | undefined): CheckpointStorage {
  return fence.token === undefined ? new CheckpointStorage(jobId, checkpointsDir, savepointsDir) : new FencedCheckpointStorage(fence, jobId, checkpointsDir, savepointsDir);
}
