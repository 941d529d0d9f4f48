/**
 * The checkpoint storage of a job run by an elected leader: every write and deletion is
 * preceded by the leader's fence check, so a JobManager whose term is over neither completes a
 * checkpoint (`_metadata`) nor deletes a checkpoint directory.
 */
import type { CheckpointMetadata } from '../../checkpoint/checkpoint-types.js';
import { CheckpointStorage } from '../../checkpoint/checkpoint-storage.js';
import type { LeaderFence } from './fencing.js';

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

  override async writeMetadata(dir: string, metadata: CheckpointMetadata): Promise<void> {
    await this.fence.check(`completing checkpoint ${metadata.checkpointId} of job ${this.jobId}`);
    return super.writeMetadata(dir, metadata);
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
