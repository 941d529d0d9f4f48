/**
 * The TaskExecutor: accepts task deployments, rebuilds each subtask's functions by running the
 * job's builder anew, checks the rebuilt graph's fingerprint against the submitted one, runs
 * the {@link Task}, reports every state change to the JobManager, and cleans a job's temp
 * files when its last task on this TaskManager ends. A task failure never escapes this class.
 * Checkpoint triggers and notifications are routed to the addressed tasks; their acks and
 * declines go to the JobManager through {@link TaskExecutorServices}.
 */
import { withSubmittedParallelism } from './submitted-parallelism.js';
import type { JobSubtaskAttempt } from '../../common/subtask-attempt.js';
import type { CheckpointRequest, TaskCheckpointAck, TaskCheckpointDecline } from '../../checkpoint/checkpoint-types.js';
import type { CheckpointResponder } from '../../runtime/subtask-checkpoint-coordinator.js';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { buildJob } from '../../api/build-job.js';
import type { FlussConfig } from '../../core/config.js';
import { describeError, FailedPreconditionError, JobBuildError, oneLine } from '../../core/errors.js';
import { jobTypeRegistry, releaseJobTypeRegistry } from '../../core/type-registry.js';
import type { BuiltJob } from '../../common/built-job.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { ShuffleEnvironment } from '../../network/shuffle-types.js';
import { Task } from '../../runtime/task.js';
import type { ExecutionState, TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import { jobStateDirectory } from '../../state/keyed-state-backend-factory.js';
import { isInProcessBundleHash, lookupInProcessJob } from '../in-process-jobs.js';
import type { RunningTask, TaskExecutionStateUpdate } from '../rpc/messages.js';
import type { JobBundleCache } from './job-bundle-cache.js';
import type { TaskMetricsReporter } from './task-metrics-reporter.js';
import type { ManagedMemoryPool } from '../../state/managed-memory.js';
import type { TaskLocalStateStores } from '../../checkpoint/local-state-stores.js';
import { type ExecutionKey, executionKey } from './execution-key.js';

/**
 * How long a job's bundle stays loaded after its last task here ended (see bundleReleases):
 * long enough for a failover's cancel-and-redeploy, short enough that a finished job's files
 * go soon.
 */
const BUNDLE_LINGER_MS = 2_000;

/**
 * `mkdir -p` that survives a concurrent `rmdir`: a closing database of the previous attempt
 * removes the job directory when it is left empty, and Node's recursive mkdir answers ENOENT
 * when the directory vanishes between its own steps. A few retries settle the race.
 */
async function ensureDirectory(dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await mkdir(dir, { recursive: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
  }
}

/** What the executor needs from its TaskManager. */
export interface TaskExecutorServices {
  config: FlussConfig;
  /** Bound to the TaskManager's id; tasks derive their own child loggers from it. */
  logger: Logger;
  shuffle: ShuffleEnvironment;
  bundles: JobBundleCache;
  /** Root of this TaskManager's temp files; each job gets `job-<jobId>` below it. */
  tmpDir: string;
  /** The TaskManager's managed memory (state backends take their shares of it). */
  managedMemory?: ManagedMemoryPool;
  reportTaskState(update: Omit<TaskExecutionStateUpdate, 'taskManagerId'>): Promise<void>;
  /** Sends a task's checkpoint acknowledgement to the JobManager. */
  acknowledgeCheckpoint?(jobId: string, ack: TaskCheckpointAck): Promise<void>;
  /** Tells the JobManager that a task declined a checkpoint. */
  declineCheckpoint?(decline: CheckpointDecline): Promise<void>;
  /** Metric groups of running tasks (shipped to the JobManager with heartbeats). */
  metrics?: Pick<TaskMetricsReporter, 'createTaskMetricGroup' | 'releaseTaskMetricGroup'>;
  /** Task-local state of the subtasks run here (`state.backend.local-recovery`); absent: off. */
  localStates?: TaskLocalStateStores;
}

/** A task's refusal of one checkpoint, with its job. */
export interface CheckpointDecline extends TaskCheckpointDecline {
  jobId: string;
}

/** The subtask execution a checkpoint message addresses. */
export type ExecutionId = JobSubtaskAttempt;

/** One deployed subtask, before and after its Task exists. */
interface TaskSlot {
  deployment: TaskDeploymentDescriptor;
  task: Task | undefined;
  canceled: boolean;
  done: Promise<void>;
}

/** Runs and cancels the subtasks deployed to this TaskManager. */
export class TaskExecutor {
  private readonly tasks = new Map<ExecutionKey, TaskSlot>();
  private readonly tasksPerJob = new Map<string, number>();
  /** Output partitions of the job's ended tasks, released once its last task here ends. */
  private readonly endedPartitions = new Map<string, string[]>();
  /**
   * Removal of a job's files after its last task here ended; a deployment of the job (the next
   * attempt after a failover) waits for it, so it never loses a directory it just made. Only the
   * move of the directory out of the way is waited for; its removal runs in the background.
   */
  private readonly jobCleanups = new Map<string, Promise<void>>();
  /**
   * Pending releases of a job's bundle after its last task here ended. The next attempt of a
   * failover usually arrives here within moments: it finds the bundle loaded instead of fetching
   * and evaluating it again on the recovery's critical path.
   */
  private readonly bundleReleases = new Map<string, NodeJS.Timeout>();
  private endedDirs = 0;

  private readonly log: Logger;
  /** Set at shutdown: no new deployments. */
  private closed = false;

  constructor(private readonly services: TaskExecutorServices) {
    this.log = services.logger.child({ component: 'TaskExecutor' });
  }

  /** The subtasks currently deployed (for re-registration). */
  runningTasks(): RunningTask[] {
    return [...this.tasks.values()].map(({ deployment: d }) => ({
      jobId: d.jobId,
      vertexId: d.vertexId,
      subtaskIndex: d.subtaskIndex,
      attempt: d.attempt,
    }));
  }

  /** Number of deployed subtasks. */
  get numberOfTasks(): number {
    return this.tasks.size;
  }

  /**
   * Accepts a deployment and starts it in the background. Idempotent for a deployment that is
   * already here (a retried RPC).
   */
  submitTask(deployment: TaskDeploymentDescriptor, jobGraph: JobGraph): void {
    if (this.closed) throw new FailedPreconditionError('the TaskManager is shutting down');
    const key = executionKey(deployment);
    if (this.tasks.has(key)) return;
    const slot: TaskSlot = { deployment, task: undefined, canceled: false, done: Promise.resolve() };
    this.tasks.set(key, slot);
    this.tasksPerJob.set(deployment.jobId, (this.tasksPerJob.get(deployment.jobId) ?? 0) + 1);
    const release = this.bundleReleases.get(deployment.jobId);
    if (release) {
      clearTimeout(release);
      this.bundleReleases.delete(deployment.jobId);
    }
    slot.done = this.deployAndRun(slot, jobGraph).finally(() => this.taskEnded(key, deployment));
  }

  /** Cancels a deployed subtask; unknown subtasks are ignored (already ended). */
  cancelTask(id: JobSubtaskAttempt): boolean {
    const slot = this.tasks.get(executionKey(id));
    if (!slot) return false;
    slot.canceled = true;
    slot.task?.cancel();
    return true;
  }

  /**
   * Starts checkpoint `request.checkpointId` at a source subtask (it records its position,
   * snapshots and emits the barrier between two slices). A subtask that is unknown here, not
   * running or not a source declines the checkpoint. Returns whether the task accepted it.
   */
  triggerCheckpoint(id: ExecutionId, request: CheckpointRequest): boolean {
    const task = this.tasks.get(executionKey(id))?.task;
    if (!task || task.executionState !== 'RUNNING') {
      const state = task ? task.executionState : 'not deployed on this TaskManager';
      this.responderFor(id).decline(request.checkpointId, `checkpoint ${request.checkpointId} cannot be taken: subtask ${id.subtaskIndex} of ${id.vertexId} (attempt ${id.attempt}) is ${state}`);
      return false;
    }
    task.triggerCheckpoint(request);
    return true;
  }

  /**
   * Checkpoint `checkpointId` of `jobId` completed: tells the addressed subtask, or (without
   * `id`) every task of the job here. Returns the number of tasks told.
   */
  notifyCheckpointComplete(jobId: string, checkpointId: number, id?: Omit<ExecutionId, 'jobId'>): number {
    // Local copies are confirmed whether or not their task still runs (it may be restarting).
    this.services.localStates?.confirm(jobId, checkpointId, id);
    return this.forTasks(jobId, id, (t) => t.notifyCheckpointComplete(checkpointId));
  }

  /** Checkpoint `checkpointId` of `jobId` was aborted: as {@link notifyCheckpointComplete}. */
  abortCheckpoint(jobId: string, checkpointId: number, id?: Omit<ExecutionId, 'jobId'>): number {
    this.services.localStates?.abort(jobId, checkpointId, id);
    return this.forTasks(jobId, id, (t) => t.abortCheckpoint(checkpointId));
  }

  private forTasks(jobId: string, id: Omit<ExecutionId, 'jobId'> | undefined, fn: (task: Task) => void): number {
    if (id) {
      const task = this.tasks.get(executionKey({ ...id, jobId }))?.task;
      if (!task) return 0;
      fn(task);
      return 1;
    }
    let n = 0;
    for (const slot of this.tasks.values()) {
      if (slot.deployment.jobId !== jobId || !slot.task) continue;
      fn(slot.task);
      n++;
    }
    return n;
  }

  /** Acks and declines of one subtask, sent to the JobManager; failures to send are logged. */
  private responderFor(id: ExecutionId): CheckpointResponder {
    const { acknowledgeCheckpoint, declineCheckpoint } = this.services;
    const warn = (what: string) => (err: unknown) => this.log.warn({ jobId: id.jobId, vertex: id.vertexId, subtask: id.subtaskIndex, err: describeError(err) }, what);
    return {
      acknowledge: (ack) => void acknowledgeCheckpoint?.call(this.services, id.jobId, ack).catch(warn('Could not acknowledge a checkpoint')),
      decline: (checkpointId, reason) =>
        void declineCheckpoint?.call(this.services, { ...id, checkpointId, reason: oneLine(reason) }).catch(warn('Could not decline a checkpoint')),
    };
  }

  /** Refuses new deployments, cancels every task and waits (at most `timeoutMs`) for them to end. */
  async cancelAll(timeoutMs: number): Promise<void> {
    this.closed = true;
    const slots = [...this.tasks.values()];
    for (const slot of slots) {
      slot.canceled = true;
      slot.task?.cancel();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(slots.map((s) => s.done)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private async deployAndRun(slot: TaskSlot, jobGraph: JobGraph): Promise<void> {
    const d = slot.deployment;
    const log = this.log.child({ jobId: d.jobId, vertex: d.vertexId, subtask: d.subtaskIndex, attempt: d.attempt });
    const report = (state: ExecutionState, error?: unknown): void => {
      void this.services.reportTaskState({
        jobId: d.jobId,
        vertexId: d.vertexId,
        subtaskIndex: d.subtaskIndex,
        attempt: d.attempt,
        state,
        failureCause: error === undefined ? '' : oneLine(describeError(error)),
      });
    };

    let built: BuiltJob;
    try {
      await this.jobCleanups.get(d.jobId);
      await ensureDirectory(this.jobDir(d.jobId));
      built = await this.buildSubtaskJob(d, jobGraph);
    } catch (err) {
      if (slot.canceled) {
        report('CANCELED');
        return;
      }
      log.warn({ err: describeError(err) }, 'Deploying the task failed');
      report('FAILED', err);
      return;
    }
    if (slot.canceled) {
      report('CANCELED');
      return;
    }

    let task: Task;
    const vertex = built.jobGraph.vertices.find((v) => v.id === d.vertexId);
    const localState = await this.services.localStates?.forSubtask(d.jobId, d.vertexId, d.subtaskIndex);
    const metrics = vertex ? this.services.metrics?.createTaskMetricGroup(d, vertex) : undefined;
    try {
      task = new Task(d, built, {
        shuffle: this.services.shuffle,
        logger: this.services.logger,
        config: this.services.config,
        onStateChange: (state: ExecutionState, error?: Error) => report(state, error),
        onEndOfInput: () => void this.services.reportTaskState({ jobId: d.jobId, vertexId: d.vertexId, subtaskIndex: d.subtaskIndex, attempt: d.attempt, state: 'RUNNING', failureCause: '', endOfInput: true }),
        // Keyed state databases live in the job's directory, removed with it.
        localStateDir: this.services.tmpDir,
        managedMemory: this.services.managedMemory,
        metrics,
        localState,
        checkpointResponder: this.responderFor({ jobId: d.jobId, vertexId: d.vertexId, subtaskIndex: d.subtaskIndex, attempt: d.attempt }),
      });
    } catch (err) {
      if (metrics) this.services.metrics?.releaseTaskMetricGroup(metrics);
      log.warn({ err: describeError(err) }, 'Creating the task failed');
      report('FAILED', err);
      return;
    }
    slot.task = task;
    // run() settles every failure itself (and reports it); nothing may escape to the daemon.
    await task.run().catch((err: unknown) => {
      log.error({ err: describeError(err) }, 'Task run rejected unexpectedly');
      report('FAILED', err);
    });
    if (metrics) this.services.metrics?.releaseTaskMetricGroup(metrics);
    // A finished subtask is never restored: its local copies go.
    if (task.executionState === 'FINISHED') await this.services.localStates?.releaseSubtask(d.jobId, d.vertexId, d.subtaskIndex);
    log.debug({ state: task.executionState }, 'Task ended');
  }

  /** Runs the job's builder for one subtask and checks the graph matches the submitted one. */
  private async buildSubtaskJob(d: TaskDeploymentDescriptor, submitted: JobGraph): Promise<BuiltJob> {
    let built: BuiltJob;
    const inProcess = lookupInProcessJob(d.bundleHash, d.jobId);
    if (inProcess) {
      built = await inProcess();
    } else if (isInProcessBundleHash(d.bundleHash)) {
      throw new JobBuildError(`In-process job ${d.bundleHash} is not registered in this process`);
    } else {
      const builder = await this.services.bundles.builder(d.jobId, d.bundleHash);
      built = await buildJob(builder, d.programArgs, {
        // The job's own setParallelism, or the default the client built it with.
        defaultParallelism: submitted.settings.parallelism,
        jobName: submitted.jobName || d.jobName,
        // A builder that hangs fails the task (and frees the slot) instead of holding it.
        timeoutMs: this.services.config['client.job-builder.timeout'],
      });
    }
    if (built.jobGraph.fingerprint !== submitted.fingerprint) {
      throw new JobBuildError(
        `The job builder is not deterministic: the graph built on the TaskManager differs from the submitted one (fingerprint ${built.jobGraph.fingerprint} ≠ ${submitted.fingerprint})`,
      );
    }
    // Records and state of the job on this TaskManager decode registered classes by name.
    if (built.types) jobTypeRegistry(d.jobId).include(built.types);
    return withSubmittedParallelism(built, submitted);
  }

  private jobDir(jobId: string): string {
    return jobStateDirectory(this.services.tmpDir, jobId);
  }

  private taskEnded(key: ExecutionKey, d: TaskDeploymentDescriptor): void {
    const { jobId } = d;
    this.tasks.delete(key);
    const ended = this.endedPartitions.get(jobId) ?? [];
    for (const p of d.outputPartitions) ended.push(p.partitionId);
    const left = (this.tasksPerJob.get(jobId) ?? 1) - 1;
    if (left > 0) {
      this.tasksPerJob.set(jobId, left);
      this.endedPartitions.set(jobId, ended);
      return;
    }
    this.tasksPerJob.delete(jobId);
    this.endedPartitions.delete(jobId);
    releaseJobTypeRegistry(jobId);
    // The job's last task here ended: free the partitions of its tasks (and fail subscriptions
    // still waiting for them), its bundle and temp files. Subscriptions of a newer attempt,
    // which other TaskManagers may already send, wait for partitions not named here.
    try {
      this.services.shuffle.releasePartitions(ended);
    } catch (err) {
      this.log.warn({ jobId, err: describeError(err) }, 'Releasing the job in the network environment failed');
    }
    const release = setTimeout(() => {
      this.bundleReleases.delete(jobId);
      this.services.bundles.releaseJob(jobId).catch((err: unknown) => this.log.warn({ jobId, err: describeError(err) }, 'Removing the job bundle failed'));
    }, BUNDLE_LINGER_MS);
    release.unref();
    this.bundleReleases.set(jobId, release);
    const cleanup: Promise<void> = this.moveAsideAndRemove(this.jobDir(jobId))
      .catch((err: unknown) => this.log.warn({ jobId, err: describeError(err) }, 'Removing job files failed'))
      .finally(() => {
        if (this.jobCleanups.get(jobId) === cleanup) this.jobCleanups.delete(jobId);
      });
    this.jobCleanups.set(jobId, cleanup);
  }

  /**
   * Renames `dir` to a sibling (one quick call), then removes that in the background: the next
   * deployment of the job may create `dir` anew at once. Falls back to removing it in place.
   */
  private async moveAsideAndRemove(dir: string): Promise<void> {
    const aside = `${dir}.ended-${process.pid}-${++this.endedDirs}`;
    try {
      await rename(dir, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await rm(dir, { recursive: true, force: true });
      return;
    }
    rm(aside, { recursive: true, force: true }).catch((err: unknown) => this.log.warn({ dir: aside, err: describeError(err) }, 'Removing ended job files failed'));
  }
}
