/**
 * One subtask of a JobVertex: creates its result partitions and input gates, builds and opens
 * its operator chain, then runs a mailbox loop on the event loop. Each turn takes a bounded
 * slice of input (records from the source reader, or items from the gates), processes it
 * synchronously, and yields (`setImmediate`) so other tasks of the process run. A result
 * partition without credit stops the loop until it is available again: that is how
 * backpressure reaches the sources. Processing-time timers fire between slices, never inside
 * one. Timer firing is bounded by the slice budget too: a watermark (the final one included)
 * whose timers take longer fires them over several slices, and no new input is taken until
 * all fired and the watermark went on. `run()` never rejects: it reports its states through
 * `onStateChange`.
 *
 * Checkpoints travel through the mailbox too: a trigger (sources), an aligned barrier (other
 * tasks), completion and abort notifications are handled between two slices, never inside one.
 * A deployment with `restore` reads its state from the checkpoint before its operators open.
 */
import type { CheckpointRequest } from '../checkpoint/checkpoint-types.js';
import { loadTaskStateAssignment, type TaskStateAssignment } from '../checkpoint/task-state-assignment.js';
import { SubtaskCheckpointCoordinator, type CheckpointResponder } from './subtask-checkpoint-coordinator.js';
import { TaskCheckpointMail } from './task-checkpoint-mail.js';
import { performance } from 'node:perf_hooks';
import { FlussError } from '../core/errors.js';
import type { FlussConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { join } from 'node:path';
import type { BuiltJob } from '../common/built-job.js';
import type { JobVertex } from '../common/job-graph.js';
import type { InputGate, ResultPartition, ShuffleEnvironment } from '../network/shuffle-types.js';
import {
  createKeyedStateBackendFactory,
  firstTmpDir,
  resolveStateBackendKind,
  type KeyedStateBackendFactory,
} from '../state/keyed-state-backend-factory.js';
import { keyedOperatorsInSlot, type ManagedMemoryPool } from '../state/managed-memory.js';
import type { TtlTimeProvider } from '../state/state-ttl.js';
import type { ProcessingTimeService } from './internal-timer-service.js';
import { createOperatorChain, type OperatorChain } from './operator-chain.js';
import { isTerminalExecutionState, type ExecutionState, type TaskDeploymentDescriptor } from './task-deployment.js';
import { TaskInputProcessor } from './task-input-processor.js';
import { TaskMetricsReporting, type TaskMetricsSink } from './task-metrics.js';

/** What a task needs from the TaskManager that runs it. */
export interface TaskEnvironment {
  shuffle: ShuffleEnvironment;
  logger: Logger;
  config: FlussConfig;
  onStateChange(state: ExecutionState, error?: Error): void;
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
}


/** Records a source reader may emit per poll. */
const SOURCE_POLL_RECORDS = 256;
/** Records processed per mailbox slice before yielding. */
const RECORDS_PER_SLICE = 2048;
/** Longest a slice runs before yielding, so network I/O, heartbeats and other tasks keep up with slow user code. */
const SLICE_MILLIS = 10;

/** The task was canceled while waiting. */
class CanceledSignal extends Error {}

/** One running subtask. */
export class Task {
  private state: ExecutionState = 'CREATED';
  private canceled = false;
  private partitions: ResultPartition[] = [];
  private gates: InputGate[] = [];
  private chain: OperatorChain | undefined;
  private inputProcessor: TaskInputProcessor | undefined;
  private readonly logger: Logger;
  private readonly vertex: JobVertex;
  /** Resolves the current wait early (cancel, processing-time timer). */
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = Number.POSITIVE_INFINITY;
  private checkpointer: SubtaskCheckpointCoordinator | undefined;
  private readonly mail = new TaskCheckpointMail(() =>
    this.chain && this.checkpointer
      ? {
          taskName: this.taskName,
          chain: this.chain,
          checkpointer: this.checkpointer,
          inputProcessor: this.inputProcessor,
          race: (p) => this.race(p),
          signal: () => this.signal(),
        }
      : undefined,
  );

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

  /** "Vertex name (i/n)", as Flink names subtasks. */
  /** The task's input watermark (Flink's currentInputWatermark): minimum over its inputs, -Infinity before any. */
  get currentInputWatermark(): number {
    if (this.inputProcessor) return this.inputProcessor.currentInputWatermark;
    // A source task has no input: its watermark is the one its source emitted.
    return this.chain?.source?.currentInputWatermark ?? Number.NEGATIVE_INFINITY;
  }

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
    try {
      const restore = this.deployment.restore;
      const restored = restore
        ? await this.race(loadTaskStateAssignment(restore, this.job.jobGraph, this.vertex, this.deployment.subtaskIndex))
        : undefined;
      this.setUp(restored);
      await this.race(this.chain!.open());
      if (this.canceled) throw new CanceledSignal();
      this.setState('RUNNING');
      this.logger.debug('running');
      await this.processInput();
      await this.drainTimers();
      this.mail.inputEnded = true;
      // Mail left at end of input: late triggers are declined, notifications still run.
      await this.mail.run();
      // Finishing is one step: whatever timers it fires, fire now.
      this.chain!.setTimerDeadline(Number.POSITIVE_INFINITY);
      await this.race(this.chain!.finish());
      if (this.mail.failure) throw this.mail.failure;
      await this.race(this.checkpointer!.whenIdle());
      await this.race(Promise.all(this.partitions.map((p) => p.finish())));
      const closeError = await this.chain!.close();
      this.chain = undefined;
      if (closeError) throw closeError;
      for (const g of this.gates) g.close();
      this.stopTimer();
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
    this.signal();
  }

  /**
   * Starts checkpoint `request.checkpointId` at this source subtask: between two slices it
   * records its position, snapshots and emits the barrier. Declined when the task is not a
   * running source.
   */
  triggerCheckpoint(request: CheckpointRequest): void {
    const problem =
      this.vertex.inputs.length > 0
        ? `${this.taskName} is not a source task`
        : this.state !== 'RUNNING' || this.mail.inputEnded || this.canceled
          ? `${this.taskName} is ${this.mail.inputEnded && this.state === 'RUNNING' ? 'finishing' : this.state}`
          : undefined;
    if (problem) {
      this.env.checkpointResponder?.decline(request.checkpointId, `checkpoint ${request.checkpointId} cannot be taken: ${problem}`);
      return;
    }
    this.mail.post({ kind: 'trigger', request });
  }

  /** Checkpoint `checkpointId` completed: operators (two-phase-commit sinks) are told in the mailbox. */
  notifyCheckpointComplete(checkpointId: number): void {
    if (isTerminalExecutionState(this.state)) return;
    this.mail.post({ kind: 'complete', checkpointId });
  }

  /** Checkpoint `checkpointId` was aborted: a pending alignment ends, no ack goes out for it. */
  abortCheckpoint(checkpointId: number): void {
    if (isTerminalExecutionState(this.state)) return;
    this.mail.post({ kind: 'abort', checkpointId });
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
    const processingTimeService: ProcessingTimeService = {
      now: () => Date.now(),
      requestWakeUp: (ts) => this.scheduleTimer(ts),
    };
    this.chain = createOperatorChain({
      job,
      vertex,
      jobId: deployment.jobId,
      subtaskIndex: deployment.subtaskIndex,
      attemptNumber: deployment.attempt,
      partitions: this.partitions,
      processingTimeService,
      keyedStateBackendFactory: env.keyedStateBackendFactory ?? this.defaultKeyedStateBackendFactory(),
      ttlTimeProvider: env.ttlTimeProvider,
      logger: this.logger,
      restoredState: restored,
    });
    this.checkpointer = new SubtaskCheckpointCoordinator(
      { vertexId: deployment.vertexId, subtaskIndex: deployment.subtaskIndex, attempt: deployment.attempt },
      this.chain,
      env.checkpointResponder,
      this.logger,
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
    });
    // The keyed operators of this subtask's slot split its managed memory.
    const inSlot = keyedOperatorsInSlot(this.job.jobGraph, this.deployment.subtaskIndex);
    return (p) => factory({ ...p, keyedOperatorsInSlot: inSlot });
  }

  /** The mailbox loop; returns at end of input. */
  private async processInput(): Promise<void> {
    const chain = this.chain!;
    const source = chain.source;
    const inputs = source ? undefined : new TaskInputProcessor(this.vertex, this.gates, chain.operators);
    if (inputs) inputs.timersPending = () => chain.hasPendingTimers();
    this.inputProcessor = inputs;
    const metrics = this.env.metrics
      ? new TaskMetricsReporting(
          this.env.metrics,
          {
            recordsIn: () => inputs?.recordsIn ?? 0,
            recordsOut: () => chain.recordsWritten(),
            operatorRecordsIn: (i) => (i === 0 ? (inputs?.recordsIn ?? 0) : chain.operatorRecordsIn(i)),
            operatorRecordsOut: (i) => chain.operatorRecordsOut(i),
            inputWatermark: () => this.currentInputWatermark,
            operatorInputWatermark: (i) =>
              (chain.operators[i] as { currentInputWatermark?: number }).currentInputWatermark ?? Number.NEGATIVE_INFINITY,
          },
          chain.operators.length,
          () => performance.now(),
        )
      : undefined;
    // Waits are timed only when someone listens; they are per slice, not per record.
    const wait = async (what: Promise<unknown>, backPressured: boolean): Promise<void> => {
      if (!metrics) return void (await this.race(what, true));
      metrics.report();
      const t0 = performance.now();
      try {
        await this.race(what, true);
      } finally {
        metrics.waited(performance.now() - t0, backPressured);
      }
    };
    try {
      for (;;) {
        if (this.canceled) throw new CanceledSignal();
        if (this.mail.failure) throw this.mail.failure;
        if (this.mail.hasMail) await this.mail.run();
        const deadline = performance.now() + SLICE_MILLIS;
        chain.setTimerDeadline(deadline);
        this.fireDueTimers();
        const blocked = this.blockedPartition();
        if (blocked) {
          await wait(blocked.whenAvailable(), true);
          continue;
        }
        // Timers of a watermark already received fire before any later input is taken.
        if (chain.hasPendingTimers() && (!chain.resumeTimers() || chain.hasPendingTimers())) {
          metrics?.report();
          await yieldToEventLoop();
          continue;
        }
        if (source) {
          const final = this.mail.finalCheckpoint;
          if (final) {
            // End of input with checkpointing: wait (serving checkpoint mail) for the final checkpoint.
            if (final.confirmed) return;
            await wait(new Promise<void>(() => undefined), false);
            continue;
          }
          const stopping = this.mail.stopping;
          if (stopping) {
            // Stop-with-savepoint: nothing is produced after its barrier; the input ends once
            // the savepoint completed, or production resumes if it was aborted.
            if (stopping.confirmed) {
              source.stopInput(stopping.drain);
              return;
            }
            await wait(new Promise<void>(() => undefined), false);
            continue;
          }
          let records = 0;
          let status = 'MORE_AVAILABLE';
          while (records < RECORDS_PER_SLICE && status === 'MORE_AVAILABLE' && !this.backpressured() && performance.now() < deadline) {
            status = source.pollNext(SOURCE_POLL_RECORDS);
            records += SOURCE_POLL_RECORDS;
          }
          if (status === 'END_OF_INPUT') {
            source.endInput();
            // The maximal watermark's timers fire (over slices) before the final checkpoint.
            await this.drainTimers();
            if (this.job.jobGraph.settings.checkpoint.intervalMs <= 0) return;
            // Final checkpoint (Flink's FLIP-147): everything emitted so far, the maximal
            // watermark included, goes into one more checkpoint before this source finishes, so
            // two-phase-commit sinks commit the end of a bounded job under a checkpoint.
            this.mail.finalCheckpoint = { takenId: undefined, confirmed: false };
            continue;
          }
          if (status === 'NOTHING_AVAILABLE') await wait(source.isAvailable(), false);
          else {
            metrics?.report();
            await yieldToEventLoop();
          }
        } else {
          const processed = inputs!.processSlice(RECORDS_PER_SLICE, () => this.backpressured(), Math.max(0, deadline - performance.now()));
          await this.mail.afterSlice(inputs!);
          if (inputs!.isFinished) return;
          if (processed === 0) await wait(inputs!.whenAvailable(), false);
          else {
            metrics?.report();
            await yieldToEventLoop();
          }
        }
      }
    } finally {
      metrics?.report();
    }
  }

  /**
   * Fires every pending timer over as many slices as it takes, yielding between them (end of
   * input: nothing else is left to do, but network I/O and heartbeats must go on).
   */
  private async drainTimers(): Promise<void> {
    const chain = this.chain!;
    while (chain.hasPendingTimers()) {
      if (this.canceled) throw new CanceledSignal();
      const blocked = this.blockedPartition();
      if (blocked) {
        await this.race(blocked.whenAvailable());
        continue;
      }
      chain.setTimerDeadline(performance.now() + SLICE_MILLIS);
      this.fireDueTimers();
      chain.resumeTimers();
      if (chain.hasPendingTimers()) await yieldToEventLoop();
    }
  }

  /** The first output partition that cannot take more data now, if any. */
  private blockedPartition(): ResultPartition | undefined {
    for (const p of this.partitions) if (!p.isAvailable()) return p;
    return undefined;
  }

  private backpressured(): boolean {
    return this.blockedPartition() !== undefined;
  }

  private fireDueTimers(): void {
    const now = Date.now();
    if (now < this.timerDueAt) return;
    this.timerDueAt = Number.POSITIVE_INFINITY;
    this.chain!.fireProcessingTimers(now);
    const next = this.chain!.nextProcessingTimer();
    if (next !== undefined) this.scheduleTimer(next);
  }

  private scheduleTimer(ts: number): void {
    if (ts >= this.timerDueAt) return;
    this.stopTimer();
    this.timerDueAt = ts;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.signal();
    }, Math.max(0, ts - Date.now()));
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * Awaits `p`; throws when the task is canceled meanwhile. With `wakeOnTimer`, also returns
   * (undefined) when a processing-time timer is due, so the loop can fire it.
   */
  private async race<T>(p: Promise<T>, wakeOnTimer = false): Promise<T | undefined> {
    const settled = p.then((v) => ({ v }));
    // A promise abandoned by cancel must not surface as an unhandled rejection.
    settled.catch(() => undefined);
    for (;;) {
      if (this.canceled) throw new CanceledSignal();
      const woken = new Promise<undefined>((resolve) => {
        this.wake = () => resolve(undefined);
      });
      const r = await Promise.race([settled, woken]);
      this.wake = undefined;
      if (this.canceled) throw new CanceledSignal();
      if (r) return r.v;
      if (wakeOnTimer) return undefined;
    }
  }

  private async tearDown(err: unknown): Promise<void> {
    this.stopTimer();
    const canceled = this.canceled && (err instanceof CanceledSignal || !(err instanceof FlussError));
    const error = err instanceof Error ? err : new Error(String(err));
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

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
