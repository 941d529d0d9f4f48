/**
 * The JobMaster: runs one job. It expands the JobGraph into an ExecutionGraph, acquires the
 * job's slots (slot sharing: slot i hosts subtask i of every vertex), deploys every subtask at
 * once, follows task state updates, and drives the job state machine: all tasks FINISHED →
 * FINISHED; a failure → RESTARTING (restart strategy permitting) or FAILING → FAILED; a cancel
 * → CANCELLING → CANCELED. A lost TaskManager fails the tasks it ran. Slots are released when
 * the job is terminal. Deployment, task cancellation, failover decisions, savepoints, the slot
 * request and the status history live in their own modules beside this one.
 */
import { describeError, FailedPreconditionError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { JobGraph } from '../../common/job-graph.js';
import { isTerminalExecutionState, isTerminalJobStatus, type JobStatus } from '../../runtime/task-deployment.js';
import type { TaskCheckpointAck, TaskCheckpointDecline } from '../../checkpoint/checkpoint-types.js';
import type { JobInfo, RunningTask } from '../rpc/messages.js';
import { CheckpointStatsTracker } from './checkpoint-stats-tracker.js';
import { ExceptionHistory } from './exception-history.js';
import { executionsGoneAfterReRegistration, executionsLostWith, failureEntry, JobFailover } from './job-failover.js';
import { ExecutionGraph, type ExecutionVertex } from './execution-graph.js';
import { settledStatus } from './job-status-machine.js';
import { JobStatusTracker } from './job-status-tracker.js';
import { JobTimers } from './job-timers.js';
import { JobCheckpointing } from './job-checkpointing.js';
import { deployExecutions, recordHighestAttempt, skipAttempts } from './job-deployment.js';
import { jobCheckpointingParams, type JobMasterParams, type SavepointOptions, type TaskStateUpdate } from './job-master-params.js';
import { jobInfoOf } from './job-info.js';
import { JobSavepoints } from './job-savepoints.js';
import { JobSlots } from './job-slots.js';
import { effectiveRestartStrategy, RestartStrategy } from './restart-strategy.js';
import { requiredSlots } from './slot-assignment.js';
import { cancelExecutions, sendCancel, type TaskCancellationContext } from './task-cancellation.js';

export type { JobMasterParams, SavepointOptions, TaskStateUpdate } from './job-master-params.js';

/** Runs one job. */
export class JobMaster {
  readonly jobId: string;
  readonly jobGraph: JobGraph;
  readonly bundleHash: string;
  readonly startTime = Date.now();
  private readonly graph: ExecutionGraph;
  /** Restart decisions and the failure being recovered from. */
  private readonly failover: JobFailover;
  private readonly log: Logger;
  private endTime = 0;
  /** Bumped on every (re)scheduling and on cancel, so stale async work is dropped. */
  private epoch = 0;
  private readonly slots: JobSlots;
  private readonly timers = new JobTimers();
  /** Failures of this job, newest first (REST `/jobs/:jid/exceptions`). */
  readonly exceptionHistory = new ExceptionHistory();
  /** Checkpoint statistics (REST `/jobs/:jid/checkpoints`, job metrics). */
  readonly checkpointStats: CheckpointStatsTracker;
  /** When the job entered each status it went through (ms since epoch). */
  readonly statusTimestamps: Partial<Record<JobStatus, number>>;
  /** The job's status, moved along the job state machine. */
  private readonly statusTracker: JobStatusTracker;
  /** Checkpoint coordination, savepoints and restore points. */
  readonly checkpointing: JobCheckpointing;
  /** Savepoint requests; a stop-with-savepoint's savepoint is what a later failover restores. */
  private readonly savepoints: JobSavepoints;
  /** Cancelling tasks through their TaskManagers. */
  private readonly cancellation: TaskCancellationContext;

  constructor(private readonly params: JobMasterParams) {
    this.jobId = params.jobId;
    this.jobGraph = params.jobGraph;
    this.bundleHash = params.bundleHash;
    this.graph = new ExecutionGraph(params.jobGraph);
    this.slots = new JobSlots(params.resourceManager.slotPool, params.jobId, params.config['slot.request.timeout']);
    for (const e of this.graph.executions) e.attempt = params.firstAttempt ?? 0;
    this.log = params.logger.child({ component: 'JobMaster', jobId: params.jobId });
    this.failover = new JobFailover(new RestartStrategy(effectiveRestartStrategy(params.jobGraph.settings)), this.log);
    this.statusTracker = new JobStatusTracker(this.startTime, () => this.params.onStatusChange(this.info()), this.log);
    this.statusTimestamps = this.statusTracker.timestamps;
    this.checkpointStats = new CheckpointStatsTracker(this.graph.executions.length);
    this.checkpointing = new JobCheckpointing(
      jobCheckpointingParams(params, this.graph, this.checkpointStats, (cause) => {
        if (this.jobStatus !== 'RUNNING') return;
        this.recordException(cause);
        this.handleFailure(cause);
        this.checkSettled();
      }),
    );
    this.savepoints = new JobSavepoints({
      jobId: params.jobId,
      log: this.log,
      checkpointing: this.checkpointing,
      status: () => this.jobStatus,
      failureCause: () => this.failover.failureCause,
      statusAfter: (current) => this.statusTracker.after(current),
      cancel: () => this.cancel(),
    });
    this.cancellation = {
      jobId: params.jobId,
      resourceManager: params.resourceManager,
      log: this.log,
      confirmTimeoutMs: params.config['heartbeat.timeout'],
      addTimer: (fn, ms) => this.timers.add(fn, ms),
      checkSettled: () => this.checkSettled(),
    };
  }

  /** ms since epoch when the job became terminal; 0 before. */
  get endTimestamp(): number {
    return this.endTime;
  }

  /** The job's current failure cause (one line), empty when none. */
  get currentFailureCause(): string {
    return this.failover.failureCause;
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
    return this.failover.restartStrategy.numberOfRestarts;
  }

  /** The execution vertices (read-only use: tests, status). */
  get executions(): readonly ExecutionVertex[] {
    return this.graph.executions;
  }

  /** Status and details for clients. */
  info(): JobInfo {
    return jobInfoOf(this);
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
      if (!isTerminalExecutionState(u.state)) sendCancel(this.cancellation, u.taskManagerId, u.vertexId, u.subtaskIndex, u.attempt);
      return;
    }
    // A source awaiting its final checkpoint: not a state change.
    if (u.endOfInput === true) return this.checkpointing.sourceEnded(execution, this.jobStatus === 'RUNNING' && !this.savepoints.stopInProgress);
    if (u.state === execution.state) return;
    if (!isTerminalExecutionState(u.state)) {
      if (execution.state !== 'CANCELING') execution.state = u.state;
      // While a stop-with-savepoint is pending, periodic checkpoints stay stopped.
      if (this.jobStatus === 'RUNNING' && !this.savepoints.stopInProgress) this.checkpointing.tasksChanged();
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
    this.failExecutions(executionsLostWith(this.graph, taskManagerId), cause);
  }

  /** A TaskManager registered again: tasks we placed there that it no longer runs have failed. */
  taskManagerReRegistered(taskManagerId: string, runningTasks: RunningTask[]): void {
    const cause = `TaskManager ${taskManagerId} registered again without its tasks of job ${this.jobId}`;
    this.failExecutions(executionsGoneAfterReRegistration(this.graph, this.jobId, taskManagerId, runningTasks), cause);
  }

  /** A task acknowledged a checkpoint (AcknowledgeCheckpoint). */
  acknowledgeCheckpoint(taskManagerId: string, ack: TaskCheckpointAck): Promise<void> {
    return this.checkpointing.acknowledge(taskManagerId, ack);
  }

  /** A task declined a checkpoint (DeclineCheckpoint). */
  declineCheckpoint(taskManagerId: string, decline: TaskCheckpointDecline): void {
    this.checkpointing.decline(taskManagerId, decline);
  }

  /** Takes a savepoint, cancel-with-savepoint or stop-with-savepoint; resolves with its directory (see {@link JobSavepoints.trigger}). */
  triggerSavepoint(options: SavepointOptions): Promise<string> {
    return this.savepoints.trigger(options);
  }

  /** Restarts every task without a failure (a rescale, rescale-restart.ts): restores the latest checkpoint, counts for no restart strategy. */
  restartInPlace(): void {
    if (this.jobStatus !== 'RUNNING') throw new FailedPreconditionError(`Job ${this.jobId} is ${this.jobStatus}: only a running job can be rescaled.`);
    this.failover.failureCause = '';
    this.setStatus('RESTARTING');
    this.cancelAllTasks();
    this.checkSettled();
  }

  /** Tasks of this job still run from a previous JobManager: new attempts of those subtasks start above theirs. */
  skipAttemptsOf(runningTasks: RunningTask[]): void {
    skipAttempts(this.graph, this.jobId, runningTasks);
  }

  /** The JobManager stops: drop pending work; tasks are left to their TaskManagers. */
  suspend(): void {
    if (isTerminalJobStatus(this.jobStatus) || this.jobStatus === 'SUSPENDED') return;
    this.epoch++;
    this.slots.abort(new FailedPreconditionError('the JobManager is shutting down'));
    this.timers.clear();
    void this.checkpointing.jobEnded('SUSPENDED');
    this.setStatus('SUSPENDED');
  }

  private async schedule(): Promise<void> {
    const epoch = ++this.epoch;
    const needed = requiredSlots(this.jobGraph.vertices);
    if (this.params.recordAttempt) {
      await recordHighestAttempt(this.graph, this.params.recordAttempt, this.log);
      if (epoch !== this.epoch || this.jobStatus !== 'RUNNING') return;
    }
    for (const e of this.graph.executions) e.state = 'SCHEDULED';
    let slots;
    try {
      slots = await this.slots.acquire(needed);
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.recordException(describeError(err));
      this.handleFailure(describeError(err));
      this.checkSettled();
      return;
    }
    if (epoch !== this.epoch || this.jobStatus !== 'RUNNING') {
      this.slots.release();
      return;
    }
    for (const e of this.graph.executions) {
      e.location = slots[e.subtaskIndex];
      e.state = 'DEPLOYING';
    }
    this.deployAll(epoch);
  }

  private deployAll(epoch: number): void {
    const restore = this.savepoints.newestRestore(this.checkpointing.restoreForDeployment());
    if (restore) {
      this.checkpointing.reportRestored(restore);
      this.log.info({ checkpointId: restore.checkpointId, path: restore.checkpointDir }, 'restoring job state');
    }
    deployExecutions({
      jobId: this.jobId,
      jobGraph: this.jobGraph,
      bundleHash: this.bundleHash,
      programArgs: this.params.programArgs,
      graph: this.graph,
      resourceManager: this.params.resourceManager,
      restore,
      onDeployFailed: (e, attempt, err) => {
        if (epoch !== this.epoch || e.attempt !== attempt || e.isTerminal) return;
        const location = e.location!;
        this.failExecutions([e], `Could not deploy ${e.taskName} to TaskManager ${location.taskManagerId} at ${location.address}: ${describeError(err)}`);
      },
    });
    this.log.info({ attempt: this.graph.executions[0]?.attempt ?? 0, tasks: this.graph.executions.length }, 'job deployed');
  }

  /**
   * A task or the scheduling failed: restart, or fail the job (always with `noRestart`: nothing
   * can be restored). Later failures of a failing job only settle it.
   */
  private handleFailure(cause: string, noRestart = false): void {
    if (this.jobStatus !== 'RUNNING') return;
    this.checkpointing.abortPending(`Job failover: ${cause}`);
    this.setStatus(this.failover.onFailure(cause, noRestart));
    this.cancelAllTasks();
  }

  /** Cancels every unfinished task: undeployed ones at once, deployed ones via their TaskManager. */
  private cancelAllTasks(): void {
    this.slots.abort(new FailedPreconditionError(`job ${this.jobId} is ${this.jobStatus}`));
    const epoch = this.epoch;
    cancelExecutions(this.cancellation, this.graph.executions, () => epoch === this.epoch);
  }

  /** Moves the job on once every task is terminal. */
  private checkSettled(): void {
    if (!this.graph.allTerminal()) return;
    if (this.jobStatus === 'RESTARTING') {
      const delay = this.failover.scheduleRestart();
      if (delay === undefined) return;
      this.slots.release();
      this.timers.clear();
      this.timers.add(() => this.restart(), delay);
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
    this.timers.clear();
    this.slots.release();
    this.endTime = Date.now();
    this.checkpointing.jobEnded(next).catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'could not clean up checkpoints'));
    this.setStatus(next);
    this.log.info({ status: next, failureCause: next === 'FAILED' ? this.failover.failureCause : undefined }, `job ${next}`);
  }

  private restart(): void {
    this.failover.restartDue();
    if (this.jobStatus !== 'RESTARTING') return;
    this.graph.resetForRestart();
    this.setStatus('RUNNING');
    void this.schedule();
  }

  /** Adds a failure to the exception history, with the task and location when known. */
  private recordException(cause: string, execution?: ExecutionVertex): void {
    // Only root causes: tasks that fail while the job is already cancelling, failing or
    // restarting are consequences (a consumer losing its cancelled producer), not failures.
    if (this.jobStatus === 'RUNNING') this.exceptionHistory.add(failureEntry(cause, execution));
  }

  /** `executions` failed with `cause` (nothing when none): the job fails over. */
  private failExecutions(executions: ExecutionVertex[], cause: string): void {
    if (executions.length === 0) return;
    for (const e of executions) {
      e.state = 'FAILED';
      e.failureCause = cause;
    }
    this.recordException(cause, executions[0]);
    this.handleFailure(cause);
    this.checkSettled();
  }

  private setStatus(next: JobStatus): void {
    this.statusTracker.set(next);
  }

  /** The job's current status. */
  private get jobStatus(): JobStatus {
    return this.statusTracker.status;
  }
}
