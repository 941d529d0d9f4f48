/**
 * Builds and drives the chain of operators of one subtask of a {@link JobVertex}: creates each
 * operator from the job's live functions and runs the lifecycle (open tail-first, finish
 * head-first). The outputs (chained and network, see {@link ChainOutputs}) and the operators'
 * state (keyed backends, restore, operator state, timers and contexts, see
 * {@link OperatorStateInitializer}) are set up by their own modules;
 * {@link OperatorChain.snapshotState} takes the synchronous part of a checkpoint.
 */
import type { TaskStateAssignment } from '../checkpoint/task-state-assignment.js';
import { releaseKeyedStateSnapshot, snapshotKeyedState, type KeyedStateSnapshot } from '../state/keyed-state-snapshot.js';
import type { OperatorStateSnapshot } from '../state/operator-state-store.js';
import type { StateSnapshotContext } from '../common/checkpoint-hooks.js';
import type { ChannelEvent, CheckpointBarrierEvent, RecordBatch } from '../common/stream-element.js';
import type { Logger } from '../core/logger.js';
import type { BuiltJob } from '../common/built-job.js';
import type { JobVertex } from '../common/job-graph.js';
import type { ResultPartition } from '../network/shuffle-types.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { KeyedStateBackendFactory } from '../state/keyed-state-backend-factory.js';
import type { TtlTimeProvider } from '../state/state-ttl.js';
import { ChainOutputs } from './chain-outputs.js';
import { InternalTimerService, unboundedTimerBudget, type ProcessingTimeService, type TimerFiringBudget } from './internal-timer-service.js';
import { OperatorStateInitializer } from './operator-state-initializer.js';
import { AbstractStreamOperator } from './operators/abstract-stream-operator.js';
import { createStreamOperator } from './operators/operator-factory.js';
import { SourceOperator } from './operators/source-operator.js';
import { SinkOperator } from './operators/sink-operator.js';
import type { OutputGate } from './task-input-actions.js';
import type { InputAvailability, MailboxExecutor, OperatorContext, StreamOperator } from './stream-operator.js';

export type { KeyedStateBackendFactory } from '../state/keyed-state-backend-factory.js';

/** Everything needed to build a chain. */
export interface OperatorChainOptions {
  job: BuiltJob;
  vertex: JobVertex;
  jobId: string;
  subtaskIndex: number;
  attemptNumber: number;
  /** One per `vertex.outputs`, in order. */
  partitions: ResultPartition[];
  processingTimeService: ProcessingTimeService;
  /** Bounds timer firing of every operator of the chain (a task's timer slicing moves it per slice). Default: unbounded. */
  timerBudget?: TimerFiringBudget;
  /** Timers per domain each keyed operator holds in memory over a LevelDB backend (`state.backend.leveldb.timer-service.cache-size`); default: all. */
  timerCacheSize?: number;
  /** Default: in-memory backends (a Task passes the job's or cluster's choice). */
  keyedStateBackendFactory?: KeyedStateBackendFactory;
  /** Clock of state TTL (default `Date.now`). */
  ttlTimeProvider?: TtlTimeProvider;
  logger?: Logger;
  /** State to restore per operator id (absent: fresh start). */
  restoredState?: TaskStateAssignment;
  /** The task's mailbox, for operators whose work completes outside it (async I/O). */
  mailboxExecutor?: MailboxExecutor;
}

/** The synchronous part of one operator's snapshot. */
export interface OperatorSnapshot {
  operatorId: string;
  operatorName: string;
  /** Keyed state fixed at the snapshot point, consumed by the asynchronous part. */
  keyed?: KeyedStateSnapshot;
  /** A copy of the operator state. */
  operatorState: OperatorStateSnapshot;
  /** Pending I/O the operator started for this checkpoint (awaited before acknowledging). */
  durable?: Promise<void>;
}

/** The operators of one subtask, wired. */
export class OperatorChain {
  /** Operators in chain order (index 0 is the head). */
  readonly operators: StreamOperator[];
  /** The head when it is a source. */
  readonly source: SourceOperator | undefined;
  private contexts: OperatorContext[] = [];
  /** Backends, restore, operator state stores, timer services and contexts of the operators. */
  private readonly state: OperatorStateInitializer;
  /** Record writers and per-operator outputs. */
  private readonly chainOutputs: ChainOutputs;
  private closed = false;
  /** Per operator: its chained inputs (ended when the operator before it finished). */
  private readonly chainedInputs: number[][];
  /** Per operator: its keyed backend (undefined for non-keyed operators). */
  private backendOf: (KeyedStateBackend | undefined)[] = [];
  private readonly timers: InternalTimerService[];
  /** Operators that may leave timer work pending (keyed, or fed by one that may), head first. */
  private timerOperators: AbstractStreamOperator[] = [];
  private opened = 0;

  constructor(private readonly options: OperatorChainOptions) {
    const { job, vertex } = options;
    this.operators = vertex.operators.map((d) => createStreamOperator(d, job.functions.node(d.nodeId)));
    this.source = this.operators[0] instanceof SourceOperator ? this.operators[0] : undefined;
    this.chainedInputs = vertex.operators.map(() => []);
    for (const d of vertex.operators) for (const c of d.chainedOutputs) this.chainedInputs[c.targetOperatorIndex]!.push(c.targetInput);
    this.chainOutputs = new ChainOutputs({ ...options, operators: this.operators });
    this.state = new OperatorStateInitializer({ ...options, timerBudget: options.timerBudget ?? unboundedTimerBudget() });
    this.timers = this.state.timers;
  }

  /** Operators that stop taking input while busy (async I/O at capacity): the task stops reading then. */
  inputAvailabilities(): InputAvailability[] {
    const out: InputAvailability[] = [];
    for (const op of this.operators) if (op.inputAvailability) out.push(op.inputAvailability);
    return out;
  }

  /** Backpressure of the chain's sink writers (those that bound what they buffer). */
  sinkWriterGates(): OutputGate[] {
    const gates: OutputGate[] = [];
    for (const op of this.operators) {
      const gate = op instanceof SinkOperator ? op.writerGate() : undefined;
      if (gate) gates.push(gate);
    }
    return gates;
  }

  /** Records the chain's record writers wrote so far. */
  recordsWritten(): number {
    return this.chainOutputs.recordsWritten();
  }

  /** Records operator `index` emitted so far. */
  operatorRecordsOut(index: number): number {
    return this.chainOutputs.operatorRecordsOut(index);
  }

  /** Records chained operator `index` received so far (0 for the head: the task counts those). */
  operatorRecordsIn(index: number): number {
    return this.chainOutputs.operatorRecordsIn(index);
  }

  /** How long {@link open} spent creating the keyed backends and loading restored keyed state. */
  readonly openTimes = { backendsMs: 0, keyedRestoreMs: 0 };

  /**
   * Creates the keyed backends and restores state into them, builds each operator's context,
   * loads the restored timers, then opens operators tail first, so every operator's consumers
   * are ready before it emits.
   */
  async open(): Promise<void> {
    const started = Date.now();
    const backends = await this.state.createBackends();
    if (this.closed) return;
    this.backendOf = backends;
    const restoreStarted = Date.now();
    this.openTimes.backendsMs = restoreStarted - started;
    // Keyed state first, so the timer services below load the restored timers too.
    await this.state.restoreKeyedState(backends);
    this.openTimes.keyedRestoreMs = Date.now() - restoreStarted;
    this.contexts = this.operators.map((op, i) => this.state.operatorContext(i, op, this.chainOutputs.outputs[i]!, backends[i]));
    this.timerOperators = this.operators.filter((op, i): op is AbstractStreamOperator => op instanceof AbstractStreamOperator && !!this.contexts[i]!.timerService);
    await this.state.loadTimers();
    for (let i = this.operators.length - 1; i >= 0; i--) {
      this.opened++;
      await this.operators[i]!.open(this.contexts[i]!);
    }
  }

  /**
   * The synchronous part of checkpoint `ctx.checkpointId`, head first: operators put their
   * state into their stores (a source records its splits, a sink closes its transaction),
   * then operator state is copied and keyed state fixed (canonical: caches flushed; native:
   * unwritten entries captured; snapshot iterators opened). No record may be processed while
   * this runs.
   */
  async snapshotState(ctx: StateSnapshotContext, chainTarget?: string): Promise<OperatorSnapshot[]> {
    const out: OperatorSnapshot[] = [];
    for (let i = 0; i < this.operators.length; i++) {
      const d = this.options.vertex.operators[i]!;
      const pending = this.operators[i]!.snapshotState?.(ctx);
      // Observed now, awaited by the asynchronous part.
      if (pending instanceof Promise) pending.catch(() => undefined);
      out.push({
        operatorId: d.operatorId,
        operatorName: d.name,
        operatorState: this.contexts[i]!.operatorStateStore.snapshot(),
        durable: pending instanceof Promise ? pending : undefined,
      });
    }
    try {
      for (let i = 0; i < this.operators.length; i++) {
        const backend = this.backendOf[i];
        if (backend) out[i]!.keyed = await snapshotKeyedState(backend, ctx.savepoint, chainTarget);
      }
    } catch (err) {
      // The keyed snapshots already taken will not be written: let go of them.
      for (const s of out) if (s.keyed) releaseKeyedStateSnapshot(s.keyed);
      throw err;
    }
    return out;
  }

  /** Sends `event` on every network output of the chain (after the records before it). */
  broadcastEvent(event: ChannelEvent): void {
    this.chainOutputs.broadcastEvent(event);
  }

  /** Puts an unaligned barrier ahead of the queued output; returns what it overtook (per output, per subpartition). */
  broadcastPriorityEvent(event: ChannelEvent): RecordBatch[][][] {
    return this.chainOutputs.broadcastPriorityEvent(event);
  }

  /** Sends a timeoutable aligned barrier; resolves with what it overtook (per output, per subpartition). */
  broadcastTimeoutableBarrier(barrier: CheckpointBarrierEvent): Promise<RecordBatch[][][]> {
    return this.chainOutputs.broadcastTimeoutableBarrier(barrier);
  }

  /** The aligned timeout of `checkpointId` passed: its barriers still queued in the outputs turn unaligned. */
  alignedBarrierTimeout(checkpointId: number): void {
    this.chainOutputs.alignedBarrierTimeout(checkpointId);
  }

  /** Tells every operator that checkpoint `checkpointId` completed; resolves when all handled it. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    for (const op of this.operators) await op.notifyCheckpointComplete?.(checkpointId);
  }

  /** Tells every operator that checkpoint `checkpointId` was given up. */
  async notifyCheckpointAborted(checkpointId: number): Promise<void> {
    for (const op of this.operators) await op.notifyCheckpointAborted?.(checkpointId);
  }

  /** True while some operator's timer firing stopped at a deadline and waits to go on. */
  hasPendingTimers(): boolean {
    const ops = this.timerOperators;
    for (let i = 0; i < ops.length; i++) if (ops[i]!.hasPendingTimers) return true;
    return false;
  }

  /**
   * Goes on firing pending event-time timers, head first (an operator that finishes forwards its
   * watermark, which may start the next one's), within the current deadline. Returns true when
   * no event-time work is left; pending processing-time timers are fired by `fireProcessingTimers`.
   */
  resumeTimers(): boolean {
    // Stops at the first operator still busy: the deadline passed, the rest waits for the next slice.
    for (const op of this.timerOperators) if (!op.resumeTimers()) return false;
    return true;
  }

  /** Fires due processing-time timers of every keyed operator. */
  fireProcessingTimers(now: number): void {
    for (const op of this.operators) op.fireProcessingTimers?.(now);
  }

  /** A load of timers some operator's firing waits for, if any. */
  pendingTimerLoad(): Promise<void> | undefined {
    for (const t of this.timers) {
      const load = t.pendingLoad;
      if (load) return load;
    }
    return undefined;
  }

  /** Earliest pending processing-time timer over the chain. */
  nextProcessingTimer(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) {
      const ts = t.nextProcessingTimer();
      if (ts !== undefined && (next === undefined || ts < next)) next = ts;
    }
    return next;
  }

  /**
   * After the head's inputs ended: finishes operators head first; each chained operator sees
   * its inputs end once the operator feeding it finished.
   */
  async finish(): Promise<void> {
    for (let i = 0; i < this.operators.length; i++) {
      const op = this.operators[i]!;
      for (const input of this.chainedInputs[i]!) op.endInput(input);
      await op.finish();
    }
  }

  /** Closes every opened operator; returns the first error instead of stopping at it. */
  async close(): Promise<Error | undefined> {
    this.closed = true;
    // Backends still being created (a cancel during open) are disposed below too.
    let first = await this.state.settleCreation();
    const n = this.operators.length;
    for (let i = n - this.opened; i < n; i++) {
      try {
        await this.operators[i]!.close();
      } catch (err) {
        first ??= err as Error;
      }
    }
    this.opened = 0;
    const disposeError = await this.state.dispose();
    return first ?? disposeError;
  }
}

/** Builds the chain of one subtask. */
export function createOperatorChain(options: OperatorChainOptions): OperatorChain {
  return new OperatorChain(options);
}
