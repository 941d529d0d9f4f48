/**
 * One subtask of a JobVertex (Flink's StreamTask): its lifecycle. It creates its result
 * partitions and input gates, builds and opens its operator chain, then runs its {@link Mailbox}
 * with input processing as the default action ({@link SourceInputAction} or
 * {@link NetworkInputAction}: one bounded slice per turn, yielding to the event loop between
 * slices), fires the timers left at end of input ({@link TimerSlicing}), and finishes. `run()`
 * never rejects: it reports its states through `onStateChange`.
 *
 * Checkpoints and the finishing state (final checkpoint, stop-with-savepoint, end of input)
 * belong to {@link TaskCheckpointing}; the task only posts RPCs to it as mail, handled between
 * two slices. A deployment with `restore` reads its state from the checkpoint before its
 * operators open.
 */
import type { CheckpointRequest } from '../checkpoint/checkpoint-types.js';
import type { TaskStateAssignment } from '../checkpoint/task-state-assignment.js';
import { loadTaskStateAssignmentPreferLocal } from '../checkpoint/local-state-restore.js';
import type { TaskLocalStateStore } from '../checkpoint/task-local-state-store.js';
import type { TaskRestore } from '../checkpoint/checkpoint-types.js';
import { SubtaskCheckpointCoordinator, type CheckpointResponder } from './subtask-checkpoint-coordinator.js';
import { TaskCheckpointing } from './task-checkpointing.js';
import { performance } from 'node:perf_hooks';
import { Mailbox, MailboxCanceledSignal, type MailboxSuspensionListener } from './mailbox.js';
import { NetworkInputAction, SourceInputAction, TaskOutputs } from './task-input-actions.js';
import { TimerSlicing } from './timer-slicing.js';
import { DEFAULT_TIMER_CACHE_SIZE } from './internal-timer-service.js';
import { describeError, FlussError, InternalError } from '../core/errors.js';
import type { FlussConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { join } from 'node:path';
import type { BuiltJob } from '../common/built-job.js';
import type { JobVertex } from '../common/job-graph.js';
import type { InputGate, ResultPartition, ShuffleEnvironment } from '../network/shuffle-types.js';
import {
  createKeyedStateBackendFactory,
  incrementalSnapshotOptions,
  firstTmpDir,
  resolveStateBackendKind,
  type KeyedStateBackendFactory,
} from '../state/keyed-state-backend-factory.js';
import { keyedOperatorsInSlot, type ManagedMemoryPool } from '../state/managed-memory.js';
import type { TtlTimeProvider } from '../state/state-ttl.js';
import { createOperatorChain, type OperatorChain } from './operator-chain.js';
import { isTerminalExecutionState, type ExecutionState, type TaskDeploymentDescriptor } from './task-deployment.js';
import { TaskInputProcessor } from './task-input-processor.js';
import { replayOutputChannelState } from './channel-state-replay.js';
import { loadChannelState } from '../checkpoint/channel-state-restore.js';
import type { ChannelStateContent } from '../checkpoint/channel-state-file.js';
import { TaskMetricsReporting, type TaskMetricsSink } from './task-metrics.js';

/** What a task needs from the TaskManager that runs it. */
export interface TaskEnvironment {
  shuffle: ShuffleEnvironment;
  logger: Logger;
  config: FlussConfig;
  onStateChange(state: ExecutionState, error?: Error): void;
  /** A source task reached the end of its input and awaits its final checkpoint (the JobManager may trigger it at once). */
  onEndOfInput?(): void;
  /**
   * Keyed state backends of keyed operators. Default: the job's `stateBackend` setting, else the
   * cluster's `state.backend.type`, with LevelDB databases under {@link localStateDir}.
   */
  keyedStateBackendFactory?: KeyedStateBackendFactory;
  /**
   * Directory of this TaskManager's local state (LevelDB databases, removed when tasks end).
   * Default: `<first of io.tmp.dirs>/fluss-state-<pid>`.
   */
  localStateDir?: string;
  /** The TaskManager's managed memory, shared by the LevelDB databases of its slots. */
  managedMemory?: ManagedMemoryPool;
  /** Clock of state TTL (default `Date.now`). */
  ttlTimeProvider?: TtlTimeProvider;
  /** Where the task reports records in/out, busy/idle/back-pressured time and watermarks. */
  metrics?: TaskMetricsSink;
  /** Where the task acknowledges and declines checkpoints (the JobManager connection). */
  checkpointResponder?: CheckpointResponder;
  /**
   * This subtask's task-local state (`state.backend.local-recovery`): checkpoints keep a copy
   * there, and a restore reads it when it holds the restored checkpoint. Absent: off.
   */
  localState?: TaskLocalStateStore;
}


/** One running subtask. */
export class Task {
  private state: ExecutionState = 'CREATED';
  private canceled = false;
  private partitions: ResultPartition[] = [];
  private gates: InputGate[] = [];
  private chain: OperatorChain | undefined;
  private inputProcessor: TaskInputProcessor | undefined;
  /** Channel state restored from an unaligned checkpoint, until the input processor took its input side. */
  private restoredChannelState: ChannelStateContent | undefined;
  private readonly logger: Logger;
  private readonly vertex: JobVertex;
  /** Mail (checkpoint work) and input slices run here, one at a time. */
  private readonly mailbox = new Mailbox();
  private readonly timers = new TimerSlicing(this.mailbox);
  private checkpointer: SubtaskCheckpointCoordinator | undefined;
  /** Checkpoint and finishing state; created with the chain. */
  private checkpointing: TaskCheckpointing | undefined;

  constructor(
    private readonly deployment: TaskDeploymentDescriptor,
    private readonly job: BuiltJob,
    private readonly env: TaskEnvironment,
  ) {
    const vertex = job.jobGraph.vertices.find((v) => v.id === deployment.vertexId);
    if (!vertex) throw new FlussError('INTERNAL', `vertex ${deployment.vertexId} is not part of job ${deployment.jobId}`);
    this.vertex = vertex;
    this.logger = env.logger.child({ component: 'Task', jobId: deployment.jobId, vertex: vertex.name, subtask: deployment.subtaskIndex });
  }

  /** Current execution state. */
  get executionState(): ExecutionState {
    return this.state;
  }

  /** The task's input watermark (Flink's currentInputWatermark): minimum over its inputs, -Infinity before any. */
  get currentInputWatermark(): number {
    if (this.inputProcessor) return this.inputProcessor.currentInputWatermark;
    // A source task has no input: its watermark is the one its source emitted.
    return this.chain?.source?.currentInputWatermark ?? Number.NEGATIVE_INFINITY;
  }

  /** "Vertex name (i/n)", as Flink names subtasks. */
  get taskName(): string {
    return `${this.vertex.name} (${this.deployment.subtaskIndex + 1}/${this.vertex.parallelism})`;
  }

  private setState(state: ExecutionState, error?: Error): void {
    this.state = state;
    try {
      this.env.onStateChange(state, error);
    } catch (err) {
      this.logger.error({ err }, 'state listener failed');
    }
  }

  /** Runs the subtask to its end; never rejects. */
  async run(): Promise<void> {
    if (this.state !== 'CREATED') return;
    this.setState('INITIALIZING');
    const { mailbox, timers } = this;
    try {
      const restore = this.deployment.restore;
      const started = Date.now();
      const restored = restore ? await mailbox.race(this.restoreState(restore)) : undefined;
      // In-flight records of an unaligned checkpoint: read before anything runs (never half-restored).
      const channelState = restore ? await mailbox.race(loadChannelState(restore, this.vertex, this.deployment.subtaskIndex)) : undefined;
      const assigned = Date.now();
      this.setUp(restored);
      const chain = this.chain!;
      await mailbox.race(chain.open());
      mailbox.throwIfCanceled();
      if (restore) {
        const { backendsMs, keyedRestoreMs } = chain.openTimes;
        const took = { totalMs: Date.now() - started, stateAssignmentMs: assigned - started, backendsMs, keyedRestoreMs };
        this.logger.info({ checkpointId: restore.checkpointId, ...took }, `${this.taskName} restored checkpoint ${restore.checkpointId} in ${took.totalMs} ms`);
      }
      if (channelState) this.restoredChannelState = replayOutputChannelState(channelState, this.partitions, this.logger);
      this.setState('RUNNING');
      this.logger.debug('running');
      const outputs = new TaskOutputs([...this.partitions, ...chain.sinkWriterGates()], chain.inputAvailabilities());
      await this.processInput(outputs);
      await timers.drain(() => outputs.blockedPartition());
      this.checkpointing!.endOfInput();
      // Mail left at end of input: late triggers are declined, notifications still run.
      await mailbox.processMail();
      // Finishing is one step: whatever timers it fires, fire now.
      timers.unbounded();
      await mailbox.race(chain.finish());
      mailbox.throwIfFailed();
      await mailbox.race(this.checkpointer!.whenIdle());
      await mailbox.race(Promise.all(this.partitions.map((p) => p.finish())));
      const closeError = await chain.close();
      this.chain = undefined;
      if (closeError) throw closeError;
      for (const g of this.gates) g.close();
      mailbox.stopWakeUp();
      this.setState('FINISHED');
    } catch (err) {
      await this.tearDown(err);
    }
  }

  /** Stops the loop; `run()` then releases everything and reports CANCELED. */
  cancel(): void {
    if (this.canceled || isTerminalExecutionState(this.state)) return;
    this.canceled = true;
    if (this.state === 'CREATED') {
      this.setState('CANCELED');
      return;
    }
    this.setState('CANCELING');
    this.mailbox.cancel();
  }

  /**
   * Starts checkpoint `request.checkpointId` at this source subtask: between two slices it
   * records its position, snapshots and emits the barrier. Declined when the task is not a
   * running source.
   */
  triggerCheckpoint(request: CheckpointRequest): void {
    const finishing = this.checkpointing?.inputEnded === true;
    const problem =
      this.vertex.inputs.length > 0
        ? `${this.taskName} is not a source task`
        : this.state !== 'RUNNING' || finishing || this.canceled
          ? `${this.taskName} is ${finishing && this.state === 'RUNNING' ? 'finishing' : this.state}`
          : undefined;
    if (problem) {
      this.env.checkpointResponder?.decline(request.checkpointId, `checkpoint ${request.checkpointId} cannot be taken: ${problem}`);
      return;
    }
    this.mailbox.post(() => this.checkpointing?.triggerCheckpoint(request));
  }

  /** Checkpoint `checkpointId` completed: operators (two-phase-commit sinks) are told in the mailbox. */
  notifyCheckpointComplete(checkpointId: number): void {
    if (isTerminalExecutionState(this.state)) return;
    this.mailbox.post(() => this.checkpointing?.notifyComplete(checkpointId));
  }

  /** Checkpoint `checkpointId` was aborted: a pending alignment ends, no ack goes out for it. */
  abortCheckpoint(checkpointId: number): void {
    if (isTerminalExecutionState(this.state)) return;
    this.mailbox.post(() => this.checkpointing?.notifyAborted(checkpointId));
  }

  /** Reads the state to restore, from the task-local copy when it is usable (see local-state-restore.ts). */
  private async restoreState(restore: TaskRestore): Promise<TaskStateAssignment> {
    const { localState, metrics } = this.env;
    const outcome = await loadTaskStateAssignmentPreferLocal(restore, this.job.jobGraph, this.vertex, this.deployment.subtaskIndex, localState);
    if (!localState) return outcome.assignment;
    metrics?.localRecovery?.(outcome.local);
    if (outcome.local) this.logger.info({ checkpointId: restore.checkpointId }, `restored ${this.taskName} from local state of checkpoint ${restore.checkpointId}`);
    else this.logger.info({ checkpointId: restore.checkpointId, reason: outcome.fallbackReason }, `restoring ${this.taskName} from the checkpoint directory, not local state: ${outcome.fallbackReason}`);
    return outcome.assignment;
  }

  private setUp(restored?: TaskStateAssignment): void {
    const { deployment, job, env, vertex } = this;
    const bufferTimeoutMs = job.jobGraph.settings.bufferTimeoutMs;
    // One at a time into the fields: if one fails, tearDown releases those already created.
    for (const p of deployment.outputPartitions) {
      this.partitions.push(env.shuffle.createResultPartition(p.partitionId, p.numberOfSubpartitions, { bufferTimeoutMs }));
    }
    const creditsPerChannel = env.config['taskmanager.network.memory.buffers-per-channel'];
    for (const channels of deployment.inputGates) this.gates.push(env.shuffle.createInputGate(channels, { creditsPerChannel }));
    const chain = createOperatorChain({
      job,
      vertex,
      jobId: deployment.jobId,
      subtaskIndex: deployment.subtaskIndex,
      attemptNumber: deployment.attempt,
      partitions: this.partitions,
      processingTimeService: this.timers.processingTimeService,
      timerBudget: this.timers.budget,
      timerCacheSize: env.config['state.backend.leveldb.timer-service.cache-size'] ?? DEFAULT_TIMER_CACHE_SIZE,
      keyedStateBackendFactory: env.keyedStateBackendFactory ?? this.defaultKeyedStateBackendFactory(),
      ttlTimeProvider: env.ttlTimeProvider,
      logger: this.logger,
      restoredState: restored,
      mailboxExecutor: this.mailbox,
    });
    this.chain = chain;
    this.timers.bind(chain);
    this.checkpointer = new SubtaskCheckpointCoordinator(
      { vertexId: deployment.vertexId, subtaskIndex: deployment.subtaskIndex, attempt: deployment.attempt },
      chain,
      env.checkpointResponder,
      this.logger,
      env.localState,
    );
  }

  /** Backends as the job (`env.setStateBackend`) or else the cluster configuration chooses. */
  private defaultKeyedStateBackendFactory(): KeyedStateBackendFactory {
    const { config } = this.env;
    const factory = createKeyedStateBackendFactory({
      kind: resolveStateBackendKind(config, this.job.jobGraph.settings.stateBackend),
      stateDir: this.env.localStateDir ?? join(firstTmpDir(config['io.tmp.dirs']), `fluss-state-${process.pid}`),
      cacheBytes: config['state.backend.leveldb.cache.size'],
      managedMemory: this.env.managedMemory,
      ...(config['state.backend.incremental'] ? { incremental: incrementalSnapshotOptions(config) } : {}),
    });
    // The keyed operators of this subtask's slot split its managed memory.
    const inSlot = keyedOperatorsInSlot(this.job.jobGraph, this.deployment.subtaskIndex);
    return (p) => factory({ ...p, keyedOperatorsInSlot: inSlot });
  }

  /** Runs the mailbox with input processing as its default action; returns at end of input. */
  private async processInput(outputs: TaskOutputs): Promise<void> {
    const chain = this.chain!;
    // Inputs are read from here on (an input without channels ends at once, so not before open).
    const inputs = chain.source ? undefined : new TaskInputProcessor(this.vertex, this.gates, chain.operators);
    if (inputs) inputs.timersPending = () => this.timers.hasPendingTimers();
    if (inputs && this.restoredChannelState) inputs.replayChannelState(this.restoredChannelState.inputs);
    this.restoredChannelState = undefined;
    this.inputProcessor = inputs;
    const checkpointing = new TaskCheckpointing(this.taskName, chain, this.checkpointer!, this.mailbox, inputs, () => this.env.onEndOfInput?.());
    this.checkpointing = checkpointing;
    const action = inputs
      ? new NetworkInputAction(inputs, this.timers, outputs, checkpointing)
      : new SourceInputAction(chain.source!, this.timers, outputs, checkpointing, this.job.jobGraph.settings.checkpoint.intervalMs > 0);
    const metrics = this.createMetrics(chain, inputs);
    try {
      await this.mailbox.runMailboxLoop(action, metrics);
    } finally {
      metrics?.beforeSuspend();
    }
  }

  /** Reports records, watermarks and busy/idle/back-pressured time once per slice, when someone listens. */
  private createMetrics(chain: OperatorChain, inputs: TaskInputProcessor | undefined): MailboxSuspensionListener | undefined {
    if (!this.env.metrics) return undefined;
    const reporting = new TaskMetricsReporting(
      this.env.metrics,
      {
        recordsIn: () => inputs?.recordsIn ?? 0,
        recordsOut: () => chain.recordsWritten(),
        operatorRecordsIn: (i) => (i === 0 ? (inputs?.recordsIn ?? 0) : chain.operatorRecordsIn(i)),
        operatorRecordsOut: (i) => chain.operatorRecordsOut(i),
        inputWatermark: () => this.currentInputWatermark,
        operatorPendingRecords: (i) => (i === 0 ? chain.source?.pendingRecords() : undefined),
        operatorInputWatermark: (i) =>
          (chain.operators[i] as { currentInputWatermark?: number }).currentInputWatermark ?? Number.NEGATIVE_INFINITY,
      },
      chain.operators.length,
      () => performance.now(),
    );
    return { beforeSuspend: () => reporting.report(), waited: (ms, backPressured) => reporting.waited(ms, backPressured) };
  }

  private async tearDown(err: unknown): Promise<void> {
    this.mailbox.stopWakeUp();
    const canceled = this.canceled && (err instanceof MailboxCanceledSignal || !(err instanceof FlussError));
    const error = err instanceof Error ? err : new InternalError(describeError(err), { cause: err });
    const cause = canceled ? new FlussError('FAILED_PRECONDITION', `task ${this.taskName} was canceled`) : error;
    for (const p of this.partitions) {
      try {
        p.release(cause);
      } catch {
        // Releasing is best effort.
      }
    }
    for (const g of this.gates) {
      try {
        g.close();
      } catch {
        // Closing is best effort.
      }
    }
    if (this.chain) {
      const closeError = await this.chain.close();
      if (closeError) this.logger.debug({ err: closeError }, 'closing operators after a failure failed');
      this.chain = undefined;
    }
    if (canceled) {
      this.setState('CANCELED');
    } else {
      this.logger.warn({ err: error }, 'task failed');
      this.setState('FAILED', error);
    }
  }
}
