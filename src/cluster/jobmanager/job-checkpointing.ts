/**
 * The checkpointing side of a JobMaster: its CheckpointCoordinator wired to the job's
 * ExecutionGraph and TaskManagers, its checkpoint storage, the restore point of every
 * (re)deployment (the latest completed checkpoint, else the checkpoint or savepoint the job was
 * submitted with), savepoints, and what happens to checkpoints when the job ends:
 *
 * - FINISHED: retained checkpoints are deleted (Flink does the same);
 * - CANCELED: deleted with DELETE_ON_CANCELLATION, kept with RETAIN_ON_CANCELLATION;
 * - FAILED or SUSPENDED (JobManager shut down): kept, to resume from.
 *
 * In every case no other `chk-*` directory of the job stays behind (aborted and declined
 * checkpoints, leftovers of stale attempts). A restore refused on a damaged checkpoint follows
 * restore-policy.ts: fall back to an older retained checkpoint, else fail (or, opted in, start
 * from empty state).
 */
import { resolveUnalignedSettings } from '../../checkpoint/checkpoint-alignment.js';
import { CheckpointCoordinator } from '../../checkpoint/checkpoint-coordinator.js';
import { SYSTEM_SCHEDULER, type CheckpointTaskGateway, type CheckpointTaskSet } from '../../checkpoint/checkpoint-coordinator-types.js';
import type { CheckpointStorage } from '../../checkpoint/checkpoint-storage.js';
import type { TaskCheckpointAck, TaskCheckpointDecline, TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { CompletedCheckpoint } from '../../checkpoint/completed-checkpoint-store.js';
import type { CheckpointTask } from '../../checkpoint/pending-checkpoint.js';
import { localCheckpointDir } from '../../checkpoint/checkpoint-location.js';
import { damagedCheckpointIn, decideAfterDamage, type RestoreCandidate, type RestoreDecision } from '../../checkpoint/restore-policy.js';
import type { FlussConfig } from '../../core/config.js';
import { describeError, InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { resolveInsideRoots } from '../../core/paths.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { JobStatus } from '../../runtime/task-deployment.js';
import type { CheckpointStatsTracker } from './checkpoint-stats-tracker.js';
import type { ExecutionGraph, ExecutionVertex } from './execution-graph.js';
import type { ResourceManager } from './resource-manager.js';
import { checkpointStorageOf } from '../ha/fenced-checkpoint-storage.js';

/** Construction parameters of {@link JobCheckpointing}. */
export interface JobCheckpointingParams {
  jobId: string;
  jobGraph: JobGraph;
  config: FlussConfig;
  logger: Logger;
  resourceManager: ResourceManager;
  graph: ExecutionGraph;
  stats: CheckpointStatsTracker;
  /** The checkpoint or savepoint the job was submitted with (`fluss run -s`). */
  initialRestore?: TaskRestore;
  /**
   * Checkpoints a previous JobManager retained (HA recovery), oldest first; the newest is what
   * the job restores. Non-empty also means the job completed a checkpoint before: it never
   * falls back to `initialRestore` or empty state silently.
   */
  recoveredCheckpoints?: readonly CompletedCheckpoint[];
  /** The job completed a checkpoint before, but none of them could be recovered. */
  checkpointedBefore?: boolean;
  /** First checkpoint id: above every id used before (HA recovery). */
  firstCheckpointId?: number;
  /** Start from empty state when every checkpoint is damaged (opt-in), instead of failing. */
  restoreFromEmptyOnDamage: boolean;
  /** Too many consecutive checkpoints failed: the job must fail over. */
  onTolerableFailuresExceeded: (cause: string) => void;
  /**
   * The retained checkpoints changed (one completed, or a damaged one was dropped): the HA store
   * records them. Awaited before tasks hear of a completed checkpoint.
   */
  onRetainedCheckpointsChanged?: (retained: readonly CompletedCheckpoint[]) => void | Promise<void>;
}

/**
 * The directory the job's checkpoints go to: the job's own (`settings.checkpointStorage`, from
 * `new RocksDBStateBackend(dir)` and the like), which wins over the cluster's
 * `state.checkpoints.dir` as in Flink; undefined when neither names one.
 *
 * The JobManager writes and deletes below it, so a job-chosen directory follows the rule of
 * savepoint targets: when the cluster configures `state.checkpoints.dir` or
 * `state.savepoints.dir`, it must lie inside one of them (a job may pick its own subdirectory,
 * and `fluss run -s` can restore its retained checkpoints); with neither configured, any
 * absolute path is taken.
 *
 * @throws InvalidArgumentError naming the job, for a location Fluss cannot write or may not use
 */
export function checkpointsDirOf(jobGraph: JobGraph, config: FlussConfig): string | undefined {
  const location = jobGraph.settings.checkpointStorage;
  if (location === undefined) return config['state.checkpoints.dir'];
  try {
    return resolveInsideRoots(localCheckpointDir(location), [config['state.checkpoints.dir'], config['state.savepoints.dir']], 'checkpoint directory');
  } catch (err) {
    throw new InvalidArgumentError(`Job "${jobGraph.jobName}": ${(err as Error).message}`, { cause: err });
  }
}

/** Checks, at submission, that the job's checkpoint directory is usable and that the cluster can checkpoint the job. */
export function checkCheckpointingConfigured(jobGraph: JobGraph, config: FlussConfig): void {
  if (checkpointsDirOf(jobGraph, config) === undefined && jobGraph.settings.checkpoint.intervalMs > 0) {
    throw new InvalidArgumentError(
      `Job "${jobGraph.jobName}" enables checkpointing, but the cluster has no checkpoint storage: set state.checkpoints.dir (a directory shared by the JobManager and every TaskManager), or give the job one (new RocksDBStateBackend(dir), env.getCheckpointConfig().setCheckpointStorage(dir))`,
    );
  }
}

/**
 * {@link checkpointsDirOf} for a job already accepted: a directory refused now (the cluster's
 * directories changed since) leaves the job without checkpoint storage, so nothing is written
 * or deleted outside them.
 */
function acceptedCheckpointsDir(p: JobCheckpointingParams): string | undefined {
  try {
    return checkpointsDirOf(p.jobGraph, p.config);
  } catch (err) {
    p.logger.error({ jobId: p.jobId }, `${(err as Error).message}; the job has no checkpoint storage`);
    return undefined;
  }
}

/** Checkpoints and savepoints of one job. */
export class JobCheckpointing {
  readonly coordinator: CheckpointCoordinator;
  readonly storage: CheckpointStorage;
  private readonly log: Logger;
  private initialRestore: TaskRestore | undefined;
  /** A checkpoint completed at some time: restores never go back to `initialRestore` or to nothing silently. */
  private checkpointedBefore: boolean;
  /** Opted-in empty start after damage: deployments restore nothing until a checkpoint completes. */
  private startEmpty = false;
  /** Why the next deployment restores an older checkpoint or nothing (cleared once one completes). */
  private notice: string | undefined;
  /** Periodic checkpoints ran before: a deployment now is a restart. */
  private schedulerStartedBefore = false;
  /** Source subtasks whose input ended, by "vertex/subtask", with the attempt that reported it. */
  private readonly endedSources = new Map<string, number>();

  constructor(private readonly p: JobCheckpointingParams) {
    this.log = p.logger.child({ component: 'CheckpointCoordinator', jobId: p.jobId });
    this.initialRestore = p.initialRestore;
    this.checkpointedBefore = (p.recoveredCheckpoints?.length ?? 0) > 0 || p.checkpointedBefore === true;
    this.storage = checkpointStorageOf(p.resourceManager.fence, p.jobId, acceptedCheckpointsDir(p), p.config['state.savepoints.dir']);
    this.coordinator = new CheckpointCoordinator({
      jobId: p.jobId,
      jobGraph: p.jobGraph,
      settings: resolveUnalignedSettings(p.jobGraph.settings.checkpoint, p.config),
      numRetained: p.config['state.checkpoints.num-retained'],
      gateway: this.gateway(),
      storage: this.storage,
      scheduler: SYSTEM_SCHEDULER,
      stats: p.stats,
      // Ids continue after the restored checkpoint, so a resumed job never reuses a chk-<n>.
      firstCheckpointId: p.firstCheckpointId ?? (p.initialRestore?.checkpointId ?? 0) + 1,
      ...(p.recoveredCheckpoints ? { recoveredCheckpoints: p.recoveredCheckpoints } : {}),
      listener: {
        onCheckpointCompleted: (cp, retained) => {
          this.log.info({ checkpointId: cp.checkpointId, savepoint: cp.savepoint, durationMs: cp.completionTimestamp - cp.timestamp, path: cp.externalPath }, `Completed ${cp.savepoint ? 'savepoint' : 'checkpoint'} ${cp.checkpointId}`);
          if (cp.savepoint) return undefined;
          this.checkpointedBefore = true;
          this.startEmpty = false;
          this.notice = undefined;
          // The HA pointer is durable before the tasks hear of the checkpoint (and commit).
          return p.onRetainedCheckpointsChanged?.([...retained]);
        },
        onTolerableFailuresExceeded: (cause) => p.onTolerableFailuresExceeded(cause),
        onWarning: (message) => this.log.warn(message),
      },
    });
  }

  /**
   * What every (re)deployment restores from: the latest retained checkpoint; before the job
   * ever completed one, the restore point it was submitted with; nothing after an opted-in
   * empty start.
   */
  restoreForDeployment(): TaskRestore | undefined {
    const latest = this.coordinator.latestCompletedCheckpoint();
    if (latest) return { checkpointDir: latest.externalPath, checkpointId: latest.checkpointId, allowNonRestoredState: false };
    if (this.startEmpty || this.checkpointedBefore) return undefined;
    return this.initialRestore;
  }

  /** Why the next deployment restores an older checkpoint or no state at all; undefined normally. */
  restoreNotice(): string | undefined {
    return this.notice;
  }

  /** The candidates a restore chooses among, oldest first. */
  private restoreCandidates(): RestoreCandidate[] {
    const retained = this.coordinator.completedCheckpoints().map((c) => ({ checkpointId: c.checkpointId, dir: c.externalPath }));
    if (retained.length > 0 || this.startEmpty || this.checkpointedBefore || !this.initialRestore) return retained;
    return [{ checkpointId: this.initialRestore.checkpointId, dir: this.initialRestore.checkpointDir }];
  }

  /**
   * A task failed with `cause`. When it is the restore refusing a damaged or incomplete
   * checkpoint the job could restore, the policy decides (restore-policy.ts): that checkpoint is
   * dropped and the restart falls back to the previous retained one; with none left the job
   * must fail without restarts — or, opted in, restarts from empty state. Synchronous, so the
   * restart scheduled next already sees the change; deleting the damaged directory and
   * recording the retained checkpoints in the HA store follow in the background.
   * Undefined when the cause is something else.
   */
  onRestoreFailure(cause: string): RestoreDecision | undefined {
    const candidates = this.restoreCandidates();
    const hit = damagedCheckpointIn(cause, candidates.map((c) => c.dir).reverse());
    if (!hit) return undefined;
    const damaged = candidates.find((c) => c.dir === hit.dir)!;
    const remaining = candidates.filter((c) => c !== damaged);
    const decision = decideAfterDamage(this.p.jobId, damaged, hit.damage, remaining, this.p.restoreFromEmptyOnDamage);
    if (decision.kind === 'fail') {
      // Kept as it is (a FAILED job keeps its checkpoints), for inspection or repair.
      this.log.error({ checkpointId: damaged.checkpointId, path: damaged.dir }, decision.message);
      return decision;
    }
    this.log.warn({ checkpointId: damaged.checkpointId, path: damaged.dir, next: decision.kind === 'fallback' ? decision.next.checkpointId : 'empty state' }, decision.message);
    this.notice = decision.message;
    const wasRetained = this.coordinator.dropCheckpoint(damaged.checkpointId, true) !== undefined;
    // A savepoint the job was submitted with is the user's: never deleted, just not used again.
    if (!wasRetained) this.initialRestore = undefined;
    if (decision.kind === 'empty') {
      this.startEmpty = true;
      this.checkpointedBefore = true;
    }
    if (wasRetained) {
      Promise.resolve(this.p.onRetainedCheckpointsChanged?.([...this.coordinator.completedCheckpoints()])).catch((err: unknown) => {
        this.log.warn({ err: describeError(err) }, 'could not record the retained checkpoints in the HA store');
      });
    }
    return decision;
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
      // After a restart the first checkpoint is taken at once (the min pause still applies):
      // an exactly-once sink commits again one checkpoint after the tasks are back, not one
      // interval later. A first start waits one interval.
      const restarted = this.schedulerStartedBefore || this.checkpointedBefore;
      this.schedulerStartedBefore = true;
      this.coordinator.startCheckpointScheduler(restarted || this.allSourcesEnded() ? 0 : undefined);
    } else if (this.coordinator.isPeriodicCheckpointingStarted || this.coordinator.pendingCheckpointIds().length > 0) {
      // Tasks finishing, failing or being cancelled cannot complete a checkpoint any more.
      this.coordinator.abortPendingCheckpoints('Not all tasks of the job are running any more.');
    }
  }

  /**
   * A RUNNING source subtask reached the end of its input. Once every source subtask of the
   * current attempts has, the final checkpoint is triggered right away instead of one interval
   * later (in-flight checkpoints and the min pause are still respected), so a bounded job ends
   * promptly. Ignored unless the subtask is RUNNING; no trigger while `mayTrigger` is false (a
   * stop-with-savepoint is under way, the job is not RUNNING).
   */
  sourceEnded(e: ExecutionVertex, mayTrigger: boolean): void {
    if (e.state !== 'RUNNING') return;
    this.endedSources.set(`${e.vertexId}/${e.subtaskIndex}`, e.attempt);
    // Not every task is RUNNING yet: tasksChanged() starts the scheduler at once then.
    if (mayTrigger && this.allSourcesEnded()) this.coordinator.triggerPeriodicCheckpointNow();
  }

  /** Every source subtask of the current attempts is RUNNING and reported the end of its input. */
  private allSourcesEnded(): boolean {
    const sources = this.p.graph.executions.filter((x) => x.jobVertex.inputs.length === 0);
    return sources.every((s) => s.state === 'RUNNING' && this.endedSources.get(`${s.vertexId}/${s.subtaskIndex}`) === s.attempt);
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
  decline(taskManagerId: string, decline: TaskCheckpointDecline): void {
    const { checkpointId, vertexId, subtaskIndex, attempt, reason } = decline;
    const e = this.p.graph.get(vertexId, subtaskIndex);
    if (!e) throw new NotFoundError(`Job ${this.p.jobId} has no subtask ${subtaskIndex} of vertex ${vertexId}.`);
    if (e.location?.taskManagerId !== taskManagerId) return;
    this.log.warn({ checkpointId, vertex: vertexId, subtask: subtaskIndex, attempt }, `checkpoint declined: ${reason}`);
    this.coordinator.receiveDecline(decline);
  }

  /**
   * The job reached a terminal status (or was suspended): stop, and clean up as the retention
   * says. Directories of checkpoints that never completed go in every case.
   */
  async jobEnded(status: JobStatus): Promise<void> {
    this.coordinator.shutdown();
    const retention = this.p.jobGraph.settings.checkpoint.retention;
    const discard = status === 'FINISHED' || (status === 'CANCELED' && retention === 'DELETE_ON_CANCELLATION');
    if (!discard) {
      await this.coordinator.collectOrphans(Number.MAX_SAFE_INTEGER);
      await this.storage.purgeDiscarded().catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'could not delete discarded checkpoint directories'));
      return;
    }
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
