/**
 * Savepoints of a running job (Flink's `triggerSavepoint`, cancel-with-savepoint and
 * stop-with-savepoint): validates the request, triggers the savepoint and, for a stop, waits
 * for the job to finish; remembers a stop's savepoint, which a later failover restores.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { JobStatus } from '../../runtime/task-deployment.js';
import type { TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { JobCheckpointing } from './job-checkpointing.js';
import type { SavepointOptions } from './job-master-params.js';

/** What the savepoints of a job need from its JobMaster. */
export interface JobSavepointsContext {
  jobId: string;
  log: Logger;
  checkpointing: JobCheckpointing;
  /** The job's current status. */
  status: () => JobStatus;
  /** The job's current failure cause (one line), empty when none. */
  failureCause: () => string;
  /** Resolves with the job's status once it is no longer `current`. */
  statusAfter: (current: JobStatus) => Promise<JobStatus>;
  /** Cancels the job. */
  cancel: () => void;
}

/** The savepoint requests of one job. */
export class JobSavepoints {
  /** A stop-with-savepoint is waiting for its savepoint. */
  private stopping = false;
  /** The completed savepoint of a stop-with-savepoint: what a later failover restores. */
  private stopSavepointRestore: TaskRestore | undefined;

  constructor(private readonly ctx: JobSavepointsContext) {}

  /** True while a stop-with-savepoint waits for its savepoint (periodic checkpoints stay stopped). */
  get stopInProgress(): boolean {
    return this.stopping;
  }

  /** What a deployment restores: the savepoint of a stop-with-savepoint when newer than `latest`, else `latest`. */
  newestRestore(latest: TaskRestore | undefined): TaskRestore | undefined {
    const stop = this.stopSavepointRestore;
    return stop && stop.checkpointId > (latest?.checkpointId ?? 0) ? stop : latest;
  }

  /**
   * Takes a savepoint; resolves with its directory. With `cancel` the job is then cancelled.
   * With `stop` (Flink's stop-with-savepoint) the sources stop producing after the savepoint's
   * barrier and end their input once it completed (sinks commit its transaction), so the job
   * ends FINISHED; this resolves once it did. If the savepoint fails the job keeps running.
   */
  async trigger(options: SavepointOptions): Promise<string> {
    const { ctx } = this;
    if (ctx.status() !== 'RUNNING') {
      throw new FailedPreconditionError(`Job ${ctx.jobId} is ${ctx.status()}: a savepoint needs a running job.`);
    }
    if (options.drain && !options.stop) throw new InvalidArgumentError('drain only applies to stop-with-savepoint');
    if (options.stop && options.cancel) throw new InvalidArgumentError('a savepoint request cannot both stop and cancel the job');
    if (options.stop) return this.stopWithSavepoint(options.targetDirectory, options.drain === true);
    const savepoint = await ctx.checkpointing.coordinator.triggerSavepoint(options.targetDirectory);
    if (options.cancel && ctx.status() === 'RUNNING') {
      ctx.log.info({ path: savepoint.externalPath }, 'cancelling job after its savepoint');
      ctx.cancel();
    }
    return savepoint.externalPath;
  }

  private async stopWithSavepoint(targetDirectory: string | undefined, drain: boolean): Promise<string> {
    const { ctx } = this;
    if (this.stopping) throw new FailedPreconditionError(`Job ${ctx.jobId} is already being stopped with a savepoint.`);
    this.stopping = true;
    let path: string;
    try {
      const savepoint = await ctx.checkpointing.coordinator.triggerSavepoint(targetDirectory, { stop: true, drain });
      path = savepoint.externalPath;
      // Sinks commit this savepoint's transactions: a failover from now on must not go back further.
      this.stopSavepointRestore = { checkpointDir: path, checkpointId: savepoint.checkpointId, allowNonRestoredState: false };
    } catch (err) {
      // The sources produce again (they were told of the abort): periodic checkpoints resume.
      if (ctx.status() === 'RUNNING') ctx.checkpointing.tasksChanged();
      throw err;
    } finally {
      this.stopping = false;
    }
    ctx.log.info({ path, drain }, 'stop-with-savepoint: savepoint completed, sources end their input');
    const status = await ctx.statusAfter('RUNNING');
    if (status !== 'FINISHED') {
      const cause = ctx.failureCause() ? `: ${ctx.failureCause()}` : '';
      throw new FailedPreconditionError(`Savepoint ${path} completed, but job ${ctx.jobId} did not finish: it is ${status}${cause}`);
    }
    return path;
  }
}
