/**
 * The JobMaster: runs one job. It expands the JobGraph into an ExecutionGraph, acquires the
 * job's slots (slot sharing: slot i hosts subtask i of every vertex), deploys every subtask at
 * once, follows task state updates, and drives the job state machine: all tasks FINISHED →
 * FINISHED; a failure → RESTARTING (restart strategy permitting) or FAILING → FAILED; a cancel
 * → CANCELLING → CANCELED. A lost TaskManager fails the tasks it ran. Slots are released when
 * the job is terminal.
 */
import type { FlussConfig } from '../../core/config.js';
import { describeError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { JobGraph } from '../../common/job-graph.js';
import { isTerminalExecutionState, isTerminalJobStatus, type ExecutionState, type JobStatus } from '../../runtime/task-deployment.js';
import type { TaskCheckpointAck, TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { CompletedCheckpoint } from '../../checkpoint/completed-checkpoint-store.js';
import type { JobInfo, RunningTask } from '../rpc/messages.js';
import { CheckpointStatsTracker } from './checkpoint-stats-tracker.js';
import { ExceptionHistory, exceptionNameOf } from './exception-history.js';
import { ExecutionGraph, type ExecutionVertex } from './execution-graph.js';
import { canTransition, settledStatus } from './job-status-machine.js';
import type { ResourceManager } from './resource-manager.js';
import { JobCheckpointing } from './job-checkpointing.js';
import { effectiveRestartStrategy, RestartStrategy } from './restart-strategy.js';
import { requiredSlots } from './slot-assignment.js';
import { buildTaskDeployment, type DeploymentContext } from './task-deployment-builder.js';

/** What a JobMaster is created with. */
export interface JobMasterParams {
  jobId: string;
  jobGraph: JobGraph;
  bundleHash: string;
  programArgs: string[];
  config: FlussConfig;
  logger: Logger;
  resourceManager: ResourceManager;
  /** Called after every job status change with the new JobInfo. */
  onStatusChange: (info: JobInfo) => void;
  /** The checkpoint or savepoint the job was submitted with (`fluss run -s`). */
  restore?: TaskRestore;
  /** JobManager recovery: the checkpoints a previous JobManager retained, oldest first (the newest is restored). */
  recoveredCheckpoints?: readonly CompletedCheckpoint[];
  /** JobManager recovery: the job completed a checkpoint before (it never starts over silently). */
  checkpointedBefore?: boolean;
  /** JobManager recovery: the first checkpoint id, above every one used before. */
  firstCheckpointId?: number;
  /** Start from empty state when every checkpoint is damaged, instead of failing (opt-in). */
  restoreFromEmptyOnDamage?: boolean;
  /** The retained checkpoints changed (the HA store records them). */
  onRetainedCheckpointsChanged?: (retained: readonly CompletedCheckpoint[]) => void | Promise<void>;
  /**
   * The first execution attempt (default 0): a recovered job continues above the attempts an
   * earlier JobManager deployed, so attempt numbers (in sink file names, in cleanup decisions)
   * never repeat within a job.
   */
  firstAttempt?: number;
  /** Records the highest attempt about to be deployed (the HA store keeps it); awaited first. */
  recordAttempt?: (attempt: number) => Promise<void>;
}

/** What a savepoint request asks for. */
export interface SavepointOptions {
  /** Default `state.savepoints.dir`. */
  targetDirectory?: string;
  /** Stop-with-savepoint. */
  stop?: boolean;
  /** With stop: emit the maximal watermark first. */
  drain?: boolean;
  /** Cancel the job once the savepoint completed. */
  cancel?: boolean;
}

/** A task state update as it arrives from a TaskManager. */
export interface TaskStateUpdate {
  taskManagerId: string;
  vertexId: string;
  subtaskIndex: number;
  attempt: number;
  state: ExecutionState;
  failureCause: string;
}

/** Runs one job. */
export class JobMaster {
  readonly jobId: string;
  readonly jobGraph: JobGraph;
  readonly bundleHash: string;
  readonly startTime = Date.now();
  private readonly graph: ExecutionGraph;
  private readonly restartStrategy: RestartStrategy;
  private readonly log: Logger;
  private jobStatus: JobStatus = 'CREATED';
  private endTime = 0;
  private failureCause = '';
  /** Bumped on every (re)scheduling and on cancel, so stale async work is dropped. */
  private epoch = 0;
  private slotRequest: AbortController | undefined;
  private restartAt = 0;
  private restartScheduled = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Failures of this job, newest first (REST `/jobs/:jid/exceptions`). */
  readonly exceptionHistory = new ExceptionHistory();
  /** Checkpoint statistics (REST `/jobs/:jid/checkpoints`, job metrics). */
  readonly checkpointStats: CheckpointStatsTracker;
  /** When the job entered each status it went through (ms since epoch). */
  readonly statusTimestamps: Partial<Record<JobStatus, number>> = { CREATED: this.startTime };
  /** Checkpoint coordination, savepoints and restore points. */
  readonly checkpointing: JobCheckpointing;
  /** A stop-with-savepoint is waiting for its savepoint. */
  private stopInProgress = false;
  /** The completed savepoint of a stop-with-savepoint: what a later failover restores. */
  private stopSavepoint: TaskRestore | undefined;
  /** Waiting for the next status change. */
  private statusWaiters: ((status: JobStatus) => void)[] = [];

  constructor(private readonly params: JobMasterParams) {
    this.jobId = params.jobId;
    this.jobGraph = params.jobGraph;
    this.bundleHash = params.bundleHash;
    this.graph = new ExecutionGraph(params.jobGraph);
    for (const e of this.graph.executions) e.attempt = params.firstAttempt ?? 0;
    this.restartStrategy = new RestartStrategy(effectiveRestartStrategy(params.jobGraph.settings));
    this.log = params.logger.child({ component: 'JobMaster', jobId: params.jobId });
    this.checkpointStats = new CheckpointStatsTracker(this.graph.executions.length);
    this.checkpointing = new JobCheckpointing({
      jobId: params.jobId,
      jobGraph: params.jobGraph,
      config: params.config,
      logger: params.logger,
      resourceManager: params.resourceManager,
      graph: this.graph,
      stats: this.checkpointStats,
      initialRestore: params.restore,
      ...(params.recoveredCheckpoints ? { recoveredCheckpoints: params.recoveredCheckpoints } : {}),
      ...(params.firstCheckpointId !== undefined ? { firstCheckpointId: params.firstCheckpointId } : {}),
      checkpointedBefore: params.checkpointedBefore === true,
      restoreFromEmptyOnDamage: params.restoreFromEmptyOnDamage ?? params.config['execution.checkpointing.restore-from-empty-on-damage'],
      onRetainedCheckpointsChanged: params.onRetainedCheckpointsChanged,
      onTolerableFailuresExceeded: (cause) => {
        if (this.jobStatus !== 'RUNNING') return;
        this.recordException(cause);
        this.handleFailure(cause);
        this.checkSettled();
      },
    });
  }

  /** ms since epoch when the job became terminal; 0 before. */
  get endTimestamp(): number {
    return this.endTime;
  }

  /** The job's current failure cause (one line), empty when none. */
  get currentFailureCause(): string {
    return this.failureCause;
  }

  /** The execution graph (read-only use: REST views). */
  get executionGraph(): ExecutionGraph {
    return this.graph;
  }

  /** Current job status. */
  get status(): JobStatus {
    return this.jobStatus;
  }

  /** Restarts so far. */
  get numberOfRestarts(): number {
    return this.restartStrategy.numberOfRestarts;
  }

  /** The execution vertices (read-only use: tests, status). */
  get executions(): readonly ExecutionVertex[] {
    return this.graph.executions;
  }

  /** Status and details for clients. */
  info(): JobInfo {
    return {
      jobId: this.jobId,
      name: this.jobGraph.jobName,
      status: this.jobStatus,
      startTime: this.startTime,
      endTime: this.endTime,
      // While RESTARTING: the failure being recovered from, so attached clients can show it.
      failureCause: this.jobStatus === 'FAILED' || this.jobStatus === 'FAILING' || this.jobStatus === 'RESTARTING' ? this.failureCause : '',
      vertices: this.graph.vertexInfos(),
    };
  }

  /**
   * JobManager recovery found nothing of the job it can restore: the job is listed, and FAILED
   * with `cause` at once (CREATED → RUNNING → FAILING → FAILED), without deploying anything.
   */
  failAtStart(cause: string): void {
    this.log.error({ name: this.jobGraph.jobName }, cause);
    this.setStatus('RUNNING');
    this.recordException(cause);
    this.handleFailure(cause, true);
    this.checkSettled();
  }

  /** Starts scheduling (CREATED → RUNNING). */
  start(): void {
    this.log.info({ name: this.jobGraph.jobName, slots: requiredSlots(this.jobGraph.vertices) }, 'job submitted');
    this.setStatus('RUNNING');
    void this.schedule();
  }

  /** Cancels the job; FailedPreconditionError when it is already terminal. */
  cancel(): void {
    if (isTerminalJobStatus(this.jobStatus) || this.jobStatus === 'SUSPENDED') {
      throw new FailedPreconditionError(`Job ${this.jobId} is already ${this.jobStatus} and cannot be cancelled.`);
    }
    if (this.jobStatus === 'CANCELLING') return;
    this.setStatus('CANCELLING');
    this.checkpointing.abortPending(`Job ${this.jobId} is being cancelled.`);
    this.cancelAllTasks();
    this.checkSettled();
  }

  /** Applies a task state update from a TaskManager. */
  updateTaskExecutionState(u: TaskStateUpdate): void {
    const execution = this.graph.get(u.vertexId, u.subtaskIndex);
    if (!execution) throw new NotFoundError(`Job ${this.jobId} has no subtask ${u.subtaskIndex} of vertex ${u.vertexId}.`);
    const current = u.attempt === execution.attempt && execution.location?.taskManagerId === u.taskManagerId;
    if (!current || execution.isTerminal) {
      // A stale attempt or one we already gave up on: make sure it does not keep running.
      if (!isTerminalExecutionState(u.state)) this.sendCancel(u.taskManagerId, u.vertexId, u.subtaskIndex, u.attempt);
      return;
    }
    if (u.state === execution.state) return;
    if (!isTerminalExecutionState(u.state)) {
      if (execution.state !== 'CANCELING') execution.state = u.state;
      // While a stop-with-savepoint is pending, periodic checkpoints stay stopped.
      if (this.jobStatus === 'RUNNING' && !this.stopInProgress) this.checkpointing.tasksChanged();
      return;
    }
    const expectedCancel = execution.state === 'CANCELING' || this.jobStatus !== 'RUNNING';
    // While the job is being cancelled, a task that fails because its producer was cancelled
    // first did not fail on its own: it was cancelled.
    const state = u.state === 'FAILED' && this.jobStatus === 'CANCELLING' ? 'CANCELED' : u.state;
    execution.state = state;
    if (state === 'FAILED') {
      execution.failureCause = u.failureCause || `${execution.taskName} failed without a cause`;
      this.log.warn({ vertex: u.vertexId, subtask: u.subtaskIndex, attempt: u.attempt }, execution.failureCause);
      this.recordException(execution.failureCause, execution);
      // A restore refused on a damaged checkpoint: the restart uses an older one, or the job
      // fails without restarts when none is left (restore-policy.ts).
      const decision = this.jobStatus === 'RUNNING' ? this.checkpointing.onRestoreFailure(execution.failureCause) : undefined;
      if (decision?.kind === 'fail') {
        this.recordException(decision.message, execution);
        this.handleFailure(decision.message, true);
      } else {
        this.handleFailure(execution.failureCause);
      }
    } else if (state === 'CANCELED' && !expectedCancel) {
      this.recordException(`${execution.taskName} was canceled unexpectedly`, execution);
      this.handleFailure(`${execution.taskName} was canceled unexpectedly`);
    }
    this.checkpointing.tasksChanged();
    this.checkSettled();
  }

  /** A TaskManager is gone: every unfinished task on it failed. */
  taskManagerLost(taskManagerId: string, cause: string): void {
    const lost = this.graph.executions.filter((e) => e.location?.taskManagerId === taskManagerId && !e.isTerminal);
    if (lost.length === 0) return;
    for (const e of lost) {
      e.state = 'FAILED';
      e.failureCause = cause;
    }
    this.recordException(cause, lost[0]);
    this.handleFailure(cause);
    this.checkSettled();
  }

  /** A TaskManager registered again: tasks we placed there that it no longer runs have failed. */
  taskManagerReRegistered(taskManagerId: string, runningTasks: RunningTask[]): void {
    const running = new Set(runningTasks.filter((t) => t.jobId === this.jobId).map((t) => `${t.vertexId}/${t.subtaskIndex}/${t.attempt}`));
    const cause = `TaskManager ${taskManagerId} registered again without its tasks of job ${this.jobId}`;
    const gone = this.graph.executions.filter(
      (e) => e.location?.taskManagerId === taskManagerId && e.isDeployed && !running.has(`${e.vertexId}/${e.subtaskIndex}/${e.attempt}`),
    );
    if (gone.length === 0) return;
    for (const e of gone) {
      e.state = 'FAILED';
      e.failureCause = cause;
    }
    this.recordException(cause, gone[0]);
    this.handleFailure(cause);
    this.checkSettled();
  }

  /** A task acknowledged a checkpoint (AcknowledgeCheckpoint). */
  acknowledgeCheckpoint(taskManagerId: string, ack: TaskCheckpointAck): Promise<void> {
    return this.checkpointing.acknowledge(taskManagerId, ack);
  }

  /** A task declined a checkpoint (DeclineCheckpoint). */
  declineCheckpoint(taskManagerId: string, checkpointId: number, vertexId: string, subtaskIndex: number, attempt: number, reason: string): void {
    this.checkpointing.decline(taskManagerId, checkpointId, vertexId, subtaskIndex, attempt, reason);
  }

  /**
   * Takes a savepoint; resolves with its directory. With `cancel` the job is then cancelled.
   * With `stop` (Flink's stop-with-savepoint) the sources stop producing after the savepoint's
   * barrier and end their input once it completed (sinks commit its transaction), so the job
   * ends FINISHED; this resolves once it did. If the savepoint fails the job keeps running.
   */
  async triggerSavepoint(options: SavepointOptions): Promise<string> {
    if (this.jobStatus !== 'RUNNING') {
      throw new FailedPreconditionError(`Job ${this.jobId} is ${this.jobStatus}: a savepoint needs a running job.`);
    }
    if (options.drain && !options.stop) throw new InvalidArgumentError('drain only applies to stop-with-savepoint');
    if (options.stop && options.cancel) throw new InvalidArgumentError('a savepoint request cannot both stop and cancel the job');
    if (options.stop) return this.stopWithSavepoint(options.targetDirectory, options.drain === true);
    const savepoint = await this.checkpointing.coordinator.triggerSavepoint(options.targetDirectory);
    if (options.cancel && this.jobStatus === 'RUNNING') {
      this.log.info({ path: savepoint.externalPath }, 'cancelling job after its savepoint');
      this.cancel();
    }
    return savepoint.externalPath;
  }

  private async stopWithSavepoint(targetDirectory: string | undefined, drain: boolean): Promise<string> {
    if (this.stopInProgress) throw new FailedPreconditionError(`Job ${this.jobId} is already being stopped with a savepoint.`);
    this.stopInProgress = true;
    let path: string;
    try {
      const savepoint = await this.checkpointing.coordinator.triggerSavepoint(targetDirectory, { stop: true, drain });
      path = savepoint.externalPath;
      // Sinks commit this savepoint's transactions: a failover from now on must not go back further.
      this.stopSavepoint = { checkpointDir: path, checkpointId: savepoint.checkpointId, allowNonRestoredState: false };
    } catch (err) {
      // The sources produce again (they were told of the abort): periodic checkpoints resume.
      if (this.jobStatus === 'RUNNING') this.checkpointing.tasksChanged();
      throw err;
    } finally {
      this.stopInProgress = false;
    }
    this.log.info({ path, drain }, 'stop-with-savepoint: savepoint completed, sources end their input');
    const status = await this.statusAfter('RUNNING');
    if (status !== 'FINISHED') {
      const cause = this.failureCause ? `: ${this.failureCause}` : '';
      throw new FailedPreconditionError(`Savepoint ${path} completed, but job ${this.jobId} did not finish: it is ${status}${cause}`);
    }
    return path;
  }

  /** Resolves with the job's status once it is no longer `current`. */
  private statusAfter(current: JobStatus): Promise<JobStatus> {
    if (this.jobStatus !== current) return Promise.resolve(this.jobStatus);
    return new Promise((resolve) => this.statusWaiters.push(resolve));
  }

  /** Tasks of this job still run from a previous JobManager: new attempts of those subtasks start above theirs. */
  skipAttemptsOf(runningTasks: RunningTask[]): void {
    for (const t of runningTasks) {
      const e = t.jobId === this.jobId ? this.graph.get(t.vertexId, t.subtaskIndex) : undefined;
      if (e && !e.isDeployed && !e.isTerminal && e.attempt <= t.attempt) e.attempt = t.attempt + 1;
    }
  }

  /** The JobManager stops: drop pending work; tasks are left to their TaskManagers. */
  suspend(): void {
    if (isTerminalJobStatus(this.jobStatus) || this.jobStatus === 'SUSPENDED') return;
    this.epoch++;
    this.slotRequest?.abort(new FailedPreconditionError('the JobManager is shutting down'));
    this.clearTimers();
    void this.checkpointing.jobEnded('SUSPENDED');
    this.setStatus('SUSPENDED');
  }

  // ------------------------------------------------------------------ scheduling

  private async schedule(): Promise<void> {
    const epoch = ++this.epoch;
    const needed = requiredSlots(this.jobGraph.vertices);
    if (this.params.recordAttempt) {
      const highest = Math.max(0, ...this.graph.executions.map((e) => e.attempt));
      try {
        await this.params.recordAttempt(highest);
      } catch (err) {
        this.log.warn({ attempt: highest, err: describeError(err) }, 'could not record the attempt in the HA store');
      }
      if (epoch !== this.epoch || this.jobStatus !== 'RUNNING') return;
    }
    for (const e of this.graph.executions) e.state = 'SCHEDULED';
    const controller = new AbortController();
    this.slotRequest = controller;
    let slots;
    try {
      slots = await this.params.resourceManager.slotPool.requestSlots(this.jobId, needed, this.params.config['slot.request.timeout'], controller.signal);
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.recordException(describeError(err));
      this.handleFailure(describeError(err));
      this.checkSettled();
      return;
    } finally {
      if (this.slotRequest === controller) this.slotRequest = undefined;
    }
    if (epoch !== this.epoch || this.jobStatus !== 'RUNNING') {
      this.params.resourceManager.slotPool.releaseSlots(this.jobId);
      return;
    }
    for (const e of this.graph.executions) {
      e.location = slots[e.subtaskIndex];
      e.state = 'DEPLOYING';
    }
    this.deployAll(epoch);
  }

  private deployAll(epoch: number): void {
    const ctx: DeploymentContext = {
      jobId: this.jobId,
      jobGraph: this.jobGraph,
      bundleHash: this.bundleHash,
      programArgs: this.params.programArgs,
      attemptOf: (vertexId, i) => this.graph.get(vertexId, i)!.attempt,
      locationOf: (vertexId, i) => this.graph.get(vertexId, i)!.location!,
    };
    const latest = this.checkpointing.restoreForDeployment();
    const restore = this.stopSavepoint && this.stopSavepoint.checkpointId > (latest?.checkpointId ?? 0) ? this.stopSavepoint : latest;
    if (restore) {
      this.checkpointing.reportRestored(restore);
      this.log.info({ checkpointId: restore.checkpointId, path: restore.checkpointDir }, 'restoring job state');
    }
    for (const e of this.graph.executions) {
      const deployment = buildTaskDeployment(ctx, e.jobVertex, e.subtaskIndex);
      if (restore) deployment.restore = restore;
      const location = e.location!;
      const tm = this.params.resourceManager.taskManager(location.taskManagerId);
      const attempt = e.attempt;
      const onError = (err: unknown): void => {
        if (epoch !== this.epoch || e.attempt !== attempt || e.isTerminal) return;
        e.state = 'FAILED';
        e.failureCause = `Could not deploy ${e.taskName} to TaskManager ${location.taskManagerId} at ${location.address}: ${describeError(err)}`;
        this.recordException(e.failureCause, e);
        this.handleFailure(e.failureCause);
        this.checkSettled();
      };
      if (!tm) {
        onError(new NotFoundError(`TaskManager ${location.taskManagerId} is not registered`));
        continue;
      }
      tm.client.submitTask(deployment, this.jobGraph).catch(onError);
    }
    this.log.info({ attempt: this.graph.executions[0]?.attempt ?? 0, tasks: this.graph.executions.length }, 'job deployed');
  }

  // ------------------------------------------------------------------ failure and cancellation

  /**
   * A task or the scheduling failed: restart, or fail the job (always with `noRestart`: nothing
   * can be restored). Later failures of a failing job only settle it.
   */
  private handleFailure(cause: string, noRestart = false): void {
    if (this.jobStatus !== 'RUNNING') return;
    this.checkpointing.abortPending(`Job failover: ${cause}`);
    const decision = noRestart ? { restart: false as const, reason: 'no checkpoint of the job can be restored' } : this.restartStrategy.onFailure(Date.now());
    if (decision.restart) {
      this.log.warn({ delayMs: decision.delayMs, restart: this.restartStrategy.numberOfRestarts }, `restarting job after failure: ${cause}`);
      this.failureCause = cause;
      this.restartAt = Date.now() + decision.delayMs;
      this.setStatus('RESTARTING');
    } else {
      this.log.warn({ reason: decision.reason }, `job failing: ${cause}`);
      this.failureCause = cause;
      this.setStatus('FAILING');
    }
    this.cancelAllTasks();
  }

  /** Cancels every unfinished task: undeployed ones at once, deployed ones via their TaskManager. */
  private cancelAllTasks(): void {
    this.slotRequest?.abort(new FailedPreconditionError(`job ${this.jobId} is ${this.jobStatus}`));
    const epoch = this.epoch;
    for (const e of this.graph.executions) {
      if (e.isTerminal) continue;
      if (!e.isDeployed) {
        e.state = 'CANCELED';
        continue;
      }
      if (e.state === 'CANCELING') continue;
      e.state = 'CANCELING';
      const location = e.location!;
      const attempt = e.attempt;
      const settleAsCanceled = (why: string): void => {
        if (e.attempt !== attempt || e.state !== 'CANCELING') return;
        this.log.warn({ vertex: e.vertexId, subtask: e.subtaskIndex, attempt }, `${e.taskName} counted as canceled: ${why}`);
        e.state = 'CANCELED';
        this.checkSettled();
      };
      this.sendCancel(location.taskManagerId, e.vertexId, e.subtaskIndex, attempt, (err) => settleAsCanceled(describeError(err)));
      // A TaskManager that never confirms must not keep the job from settling forever.
      this.addTimer(() => {
        if (epoch === this.epoch) settleAsCanceled('no confirmation from its TaskManager within heartbeat.timeout');
      }, this.params.config['heartbeat.timeout']);
    }
  }

  private sendCancel(taskManagerId: string, vertexId: string, subtaskIndex: number, attempt: number, onError?: (err: unknown) => void): void {
    const tm = this.params.resourceManager.taskManager(taskManagerId);
    if (!tm) {
      onError?.(new NotFoundError(`TaskManager ${taskManagerId} is not registered`));
      return;
    }
    tm.client.cancelTask(this.jobId, vertexId, subtaskIndex, attempt).catch((err: unknown) => {
      if (onError) onError(err);
      else this.log.debug({ vertex: vertexId, subtask: subtaskIndex, attempt }, `cancel of a stale task failed: ${describeError(err)}`);
    });
  }

  /** Moves the job on once every task is terminal. */
  private checkSettled(): void {
    if (!this.graph.allTerminal()) return;
    if (this.jobStatus === 'RESTARTING') {
      if (this.restartScheduled) return;
      this.restartScheduled = true;
      const at = this.restartAt;
      this.params.resourceManager.slotPool.releaseSlots(this.jobId);
      this.clearTimers();
      this.addTimer(() => this.restart(), Math.max(0, at - Date.now()));
      return;
    }
    const next = settledStatus(this.jobStatus, this.graph.allFinished());
    if (next === undefined) {
      if (this.jobStatus === 'RUNNING') {
        this.recordException('every task stopped, but not all of them finished');
        this.handleFailure('every task stopped, but not all of them finished');
      }
      if (this.jobStatus !== 'RUNNING') this.checkSettled();
      return;
    }
    this.epoch++;
    this.clearTimers();
    this.params.resourceManager.slotPool.releaseSlots(this.jobId);
    this.endTime = Date.now();
    this.checkpointing.jobEnded(next).catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'could not clean up checkpoints'));
    this.setStatus(next);
    this.log.info({ status: next, failureCause: next === 'FAILED' ? this.failureCause : undefined }, `job ${next}`);
  }

  private restart(): void {
    this.restartScheduled = false;
    if (this.jobStatus !== 'RESTARTING') return;
    this.graph.resetForRestart();
    this.setStatus('RUNNING');
    void this.schedule();
  }

  // ------------------------------------------------------------------ plumbing

  /** Adds a failure to the exception history, with the task and location when known. */
  private recordException(cause: string, execution?: ExecutionVertex): void {
    // Only root causes: tasks that fail while the job is already cancelling, failing or
    // restarting are consequences (a consumer losing its cancelled producer), not failures.
    if (this.jobStatus !== 'RUNNING') return;
    this.exceptionHistory.add({
      exceptionName: exceptionNameOf(cause),
      message: cause,
      timestamp: Date.now(),
      taskName: execution?.taskName ?? null,
      location: execution?.location?.address ?? null,
      taskManagerId: execution?.location?.taskManagerId ?? null,
    });
  }

  private setStatus(next: JobStatus): void {
    if (next === this.jobStatus) return;
    if (!canTransition(this.jobStatus, next)) throw new InvalidArgumentError(`illegal job state transition ${this.jobStatus} -> ${next}`);
    this.jobStatus = next;
    this.statusTimestamps[next] = Date.now();
    const waiters = this.statusWaiters;
    this.statusWaiters = [];
    for (const w of waiters) w(next);
    try {
      this.params.onStatusChange(this.info());
    } catch (err) {
      this.log.error({ err }, 'status listener failed');
    }
  }

  private addTimer(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
