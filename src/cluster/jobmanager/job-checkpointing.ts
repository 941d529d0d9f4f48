/**
 * The checkpointing side of a JobMaster: its CheckpointCoordinator wired to the job's
 * ExecutionGraph and TaskManagers, its checkpoint storage, the restore point of every
 * (re)deployment (the latest completed checkpoint, else the checkpoint or savepoint the job was
 * submitted with), savepoints, and what happens to checkpoints when the job ends:
 *
 * - FINISHED: retained checkpoints are deleted (Flink does the same);
 * - CANCELED: deleted with DELETE_ON_CANCELLATION, kept with RETAIN_ON_CANCELLATION;
 * - FAILED or SUSPENDED (JobManager shut down): kept, to resume from.
 */
import { CheckpointCoordinator } from '../../checkpoint/checkpoint-coordinator.js';
import { SYSTEM_SCHEDULER, type CheckpointTaskGateway, type CheckpointTaskSet } from '../../checkpoint/checkpoint-coordinator-types.js';
import { CheckpointStorage } from '../../checkpoint/checkpoint-storage.js';
import type { TaskCheckpointAck, TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { CompletedCheckpoint } from '../../checkpoint/completed-checkpoint-store.js';
import type { CheckpointTask } from '../../checkpoint/pending-checkpoint.js';
import type { FlussConfig } from '../../core/config.js';
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { JobStatus } from '../../runtime/task-deployment.js';
import type { CheckpointStatsTracker } from './checkpoint-stats-tracker.js';
import type { ExecutionGraph, ExecutionVertex } from './execution-graph.js';
import type { ResourceManager } from './resource-manager.js';

/** Construction parameters of {@link JobCheckpointing}. */
export interface JobCheckpointingParams {
  jobId: string;
  jobGraph: JobGraph;
  config: FlussConfig;
  logger: Logger;
  resourceManager: ResourceManager;
  graph: ExecutionGraph;
  stats: CheckpointStatsTracker;
  /** The checkpoint or savepoint the job starts from (`fluss run -s`, JobManager recovery). */
  initialRestore?: TaskRestore;
  /** Too many consecutive checkpoints failed: the job must fail over. */
  onTolerableFailuresExceeded: (cause: string) => void;
  /** A checkpoint completed (the HA store records the pointer). */
  onCheckpointCompleted?: (checkpoint: CompletedCheckpoint) => void | Promise<void>;
}

/** Checks, at submission, that the cluster can checkpoint the job. */
export function checkCheckpointingConfigured(jobGraph: JobGraph, config: FlussConfig): void {
  if (jobGraph.settings.checkpoint.intervalMs > 0 && !config['state.checkpoints.dir']) {
    throw new InvalidArgumentError(
      `Job "${jobGraph.jobName}" enables checkpointing, but the cluster has no checkpoint storage: set state.checkpoints.dir (a directory shared by the JobManager and every TaskManager)`,
    );
  }
}

/** Checkpoints and savepoints of one job. */
export class JobCheckpointing {
  readonly coordinator: CheckpointCoordinator;
  readonly storage: CheckpointStorage;
  private readonly log: Logger;
  private initialRestore: TaskRestore | undefined;

  constructor(private readonly p: JobCheckpointingParams) {
    this.log = p.logger.child({ component: 'CheckpointCoordinator', jobId: p.jobId });
    this.initialRestore = p.initialRestore;
    this.storage = new CheckpointStorage(p.jobId, p.config['state.checkpoints.dir'], p.config['state.savepoints.dir']);
    this.coordinator = new CheckpointCoordinator({
      jobId: p.jobId,
      jobGraph: p.jobGraph,
      settings: p.jobGraph.settings.checkpoint,
      numRetained: p.config['state.checkpoints.num-retained'],
      gateway: this.gateway(),
      storage: this.storage,
      scheduler: SYSTEM_SCHEDULER,
      stats: p.stats,
      // Ids continue after the restored checkpoint, so a resumed job never reuses a chk-<n>.
      firstCheckpointId: (p.initialRestore?.checkpointId ?? 0) + 1,
      listener: {
        onCheckpointCompleted: (cp) => {
          this.log.info({ checkpointId: cp.checkpointId, savepoint: cp.savepoint, durationMs: cp.completionTimestamp - cp.timestamp, path: cp.externalPath }, `Completed ${cp.savepoint ? 'savepoint' : 'checkpoint'} ${cp.checkpointId}`);
          // The HA pointer is durable before the tasks hear of the checkpoint (and commit).
          return cp.savepoint ? undefined : p.onCheckpointCompleted?.(cp);
        },
        onTolerableFailuresExceeded: (cause) => p.onTolerableFailuresExceeded(cause),
        onWarning: (message) => this.log.warn(message),
      },
    });
  }

  /** What every (re)deployment restores from: the latest completed checkpoint, else the initial restore point. */
  restoreForDeployment(): TaskRestore | undefined {
    const latest = this.coordinator.latestCompletedCheckpoint();
    if (latest) return { checkpointDir: latest.externalPath, checkpointId: latest.checkpointId, allowNonRestoredState: false };
    return this.initialRestore;
  }

  /**
   * A task failed with `cause`: when it is a damaged file of a retained checkpoint (the restore
   * refused it), that checkpoint is dropped, so the restart falls back to the previous retained
   * one instead of failing on the same file again. The HA pointer moves back with it. Resolves
   * with a description of the fallback, or undefined when the cause is something else.
   */
  async fallBackFromDamagedCheckpoint(cause: string): Promise<string | undefined> {
    const m = /damaged checkpoint (\S+?):? /.exec(cause);
    if (!m) return undefined;
    const dir = m[1]!.replace(/:$/, '');
    const dropped = await this.coordinator.dropDamagedCheckpoint(dir);
    if (!dropped) return undefined;
    const previous = this.coordinator.latestCompletedCheckpoint();
    const what = previous
      ? `checkpoint ${dropped.checkpointId} is damaged; falling back to checkpoint ${previous.checkpointId}`
      : `checkpoint ${dropped.checkpointId} is damaged and no earlier checkpoint is retained`;
    this.log.warn({ checkpointId: dropped.checkpointId, previous: previous?.checkpointId, cause }, what);
    if (previous) await this.p.onCheckpointCompleted?.(previous);
    return what;
  }

  /** Records in the statistics which checkpoint a deployment restored. */
  reportRestored(restore: TaskRestore): void {
    const latest = this.coordinator.latestCompletedCheckpoint();
    const isSavepoint = latest?.checkpointId !== restore.checkpointId && /savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/.test(restore.checkpointDir);
    this.p.stats.reportRestored(restore.checkpointId, Date.now(), isSavepoint, restore.checkpointDir);
  }

  /** Task states changed: periodic checkpoints run exactly while every task is RUNNING. */
  tasksChanged(): void {
    if (this.p.graph.executions.every((e) => e.state === 'RUNNING')) {
      this.coordinator.startCheckpointScheduler();
    } else if (this.coordinator.isPeriodicCheckpointingStarted || this.coordinator.pendingCheckpointIds().length > 0) {
      // Tasks finishing, failing or being cancelled cannot complete a checkpoint any more.
      this.coordinator.abortPendingCheckpoints('Not all tasks of the job are running any more.');
    }
  }

  /** The job fails over or is cancelled: checkpoints in flight cannot complete. */
  abortPending(cause: string): void {
    this.coordinator.abortPendingCheckpoints(cause);
  }

  /** A task acknowledged a checkpoint. */
  acknowledge(taskManagerId: string, ack: TaskCheckpointAck): Promise<void> {
    const e = this.p.graph.get(ack.vertexId, ack.subtaskIndex);
    if (!e) throw new NotFoundError(`Job ${this.p.jobId} has no subtask ${ack.subtaskIndex} of vertex ${ack.vertexId}.`);
    if (e.location?.taskManagerId !== taskManagerId || e.attempt !== ack.attempt) {
      this.log.debug({ vertex: ack.vertexId, subtask: ack.subtaskIndex, attempt: ack.attempt }, 'ignoring the acknowledgement of a stale attempt');
      return Promise.resolve();
    }
    return this.coordinator.receiveAcknowledge(ack);
  }

  /** A task declined a checkpoint. */
  decline(taskManagerId: string, checkpointId: number, vertexId: string, subtaskIndex: number, attempt: number, reason: string): void {
    const e = this.p.graph.get(vertexId, subtaskIndex);
    if (!e) throw new NotFoundError(`Job ${this.p.jobId} has no subtask ${subtaskIndex} of vertex ${vertexId}.`);
    if (e.location?.taskManagerId !== taskManagerId) return;
    this.log.warn({ checkpointId, vertex: vertexId, subtask: subtaskIndex, attempt }, `checkpoint declined: ${reason}`);
    this.coordinator.receiveDecline(checkpointId, vertexId, subtaskIndex, attempt, reason);
  }

  /** The job reached a terminal status (or was suspended): stop, and clean up as the retention says. */
  async jobEnded(status: JobStatus): Promise<void> {
    this.coordinator.shutdown();
    const retention = this.p.jobGraph.settings.checkpoint.retention;
    const discard = status === 'FINISHED' || (status === 'CANCELED' && retention === 'DELETE_ON_CANCELLATION');
    if (!discard) return;
    await this.coordinator.discardCompletedCheckpoints();
    await this.storage.removeJobDirIfEmpty();
  }

  private gateway(): CheckpointTaskGateway {
    const { graph, resourceManager, jobId } = this.p;
    const taskOf = (e: ExecutionVertex): CheckpointTask => ({ vertexId: e.vertexId, subtaskIndex: e.subtaskIndex, attempt: e.attempt });
    const clientOf = (t: CheckpointTask) => {
      const e = graph.get(t.vertexId, t.subtaskIndex);
      const tmId = e?.attempt === t.attempt ? e.location?.taskManagerId : undefined;
      const tm = tmId ? resourceManager.taskManager(tmId) : undefined;
      if (!tm) throw new NotFoundError(`subtask ${t.subtaskIndex} of vertex ${t.vertexId} (attempt ${t.attempt}) is not deployed on a registered TaskManager`);
      return tm.client;
    };
    return {
      runningTasks(): CheckpointTaskSet | undefined {
        if (!graph.executions.every((e) => e.state === 'RUNNING')) return undefined;
        return {
          all: graph.executions.map(taskOf),
          sources: graph.executions.filter((e) => e.jobVertex.inputs.length === 0).map(taskOf),
        };
      },
      triggerCheckpoint: async (t, request) => clientOf(t).triggerCheckpoint(jobId, t.vertexId, t.subtaskIndex, t.attempt, request),
      notifyCheckpointComplete: async (t, id) => clientOf(t).notifyCheckpointComplete(jobId, id, t.vertexId, t.subtaskIndex, t.attempt),
      abortCheckpoint: async (t, id) => clientOf(t).abortCheckpoint(jobId, id, t.vertexId, t.subtaskIndex, t.attempt),
    };
  }
}
