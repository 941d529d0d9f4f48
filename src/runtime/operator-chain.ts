/**
 * Builds and drives the chain of operators of one subtask of a {@link JobVertex}: creates each
 * operator from the job's live functions, wires chained outputs (main and side outputs by tag
 * id) and network outputs ({@link RecordWriter} per outgoing JobEdge), gives keyed operators a
 * keyed state backend and timers, and runs the lifecycle (open tail-first, finish head-first).
 * Restored state (keyed entries, operator state) is loaded into each operator's stores before
 * it opens; {@link OperatorChain.snapshotState} takes the synchronous part of a checkpoint.
 */
import type { TaskStateAssignment } from '../checkpoint/task-state-assignment.js';
import { restoreNativeKeyedState } from '../checkpoint/native-keyed-state-file.js';
import { releaseKeyedStateSnapshot, snapshotKeyedState, type KeyedStateSnapshot } from '../state/keyed-state-snapshot.js';
import type { OperatorStateSnapshot } from '../state/operator-state-store.js';
import type { StateSnapshotContext } from '../common/checkpoint-hooks.js';
import type { ChannelEvent } from '../common/stream-element.js';
import type { Logger } from '../core/logger.js';
import type { BuiltJob } from '../common/built-job.js';
import type { JobVertex } from '../common/job-graph.js';
import { keyGroupRangeForOperator } from '../state/key-groups.js';
import type { ResultPartition } from '../network/shuffle-types.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { KeyedStateBackendFactory } from '../state/keyed-state-backend-factory.js';
import { MemoryKeyedStateBackend } from '../state/memory-keyed-state-backend.js';
import { OperatorStateStore } from '../state/operator-state-store.js';
import type { TtlTimeProvider } from '../state/state-ttl.js';
import { createChannelSelector } from './channel-selectors.js';
import { InternalTimerService, unboundedTimerBudget, type ProcessingTimeService, type TimerFiringBudget } from './internal-timer-service.js';
import { AbstractStreamOperator } from './operators/abstract-stream-operator.js';
import { createStreamOperator } from './operators/operator-factory.js';
import { SourceOperator } from './operators/source-operator.js';
import { edgeDisplayName, RecordWriter } from './record-writer.js';
import type { OperatorContext, Output, StreamOperator } from './stream-operator.js';
import { StreamingRuntimeContext } from './streaming-runtime-context.js';

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
  /** Default: in-memory backends (a Task passes the job's or cluster's choice). */
  keyedStateBackendFactory?: KeyedStateBackendFactory;
  /** Clock of state TTL (default `Date.now`). */
  ttlTimeProvider?: TtlTimeProvider;
  logger?: Logger;
  /** State to restore per operator id (absent: fresh start). */
  restoredState?: TaskStateAssignment;
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

/** A chained target: operator and logical input. */
interface ChainTarget {
  op: StreamOperator;
  input: number;
}

/** Fans an operator's output out to chained operators and record writers. */
class ChainOutput implements Output {
  /** Records emitted so far, main and side outputs (read by the task's metrics once per slice). */
  count = 0;

  constructor(
    private readonly main: ChainTarget[],
    private readonly mainWriters: RecordWriter[],
    private readonly side: Map<string, { targets: ChainTarget[]; writers: RecordWriter[] }>,
    private readonly allTargets: ChainTarget[],
    private readonly allWriters: RecordWriter[],
  ) {}

  collect(value: unknown, timestamp: number): void {
    this.count++;
    const m = this.main;
    for (let i = 0; i < m.length; i++) m[i]!.op.processElement(value, timestamp, m[i]!.input);
    const w = this.mainWriters;
    for (let i = 0; i < w.length; i++) w[i]!.emit(value, timestamp);
  }

  collectSide(tagId: string, value: unknown, timestamp: number): void {
    this.count++;
    const s = this.side.get(tagId);
    if (!s) return;
    for (const t of s.targets) t.op.processElement(value, timestamp, t.input);
    for (const w of s.writers) w.emit(value, timestamp);
  }

  emitWatermark(timestamp: number): void {
    for (const t of this.allTargets) t.op.processWatermark(timestamp, t.input);
    for (const w of this.allWriters) w.emitWatermark(timestamp);
  }

  emitWatermarkStatus(idle: boolean): void {
    for (const t of this.allTargets) t.op.processWatermarkStatus?.(idle, t.input);
    for (const w of this.allWriters) w.emitWatermarkStatus(idle);
  }
}

/** The common case of a chained operator feeding exactly one chained operator: one direct call. */
class SingleTargetChainOutput extends ChainOutput {
  private readonly op: StreamOperator;
  private readonly input: number;

  constructor(...args: ConstructorParameters<typeof ChainOutput>) {
    super(...args);
    this.op = args[0][0]!.op;
    this.input = args[0][0]!.input;
  }

  override collect(value: unknown, timestamp: number): void {
    this.count++;
    this.op.processElement(value, timestamp, this.input);
  }
}

/** The common case of a chain's tail feeding exactly one network output. */
class SingleWriterChainOutput extends ChainOutput {
  private readonly writer: RecordWriter;

  constructor(...args: ConstructorParameters<typeof ChainOutput>) {
    super(...args);
    this.writer = args[1][0]!;
  }

  override collect(value: unknown, timestamp: number): void {
    this.count++;
    this.writer.emit(value, timestamp);
  }
}

/** Picks the cheapest output for the operator's main targets. */
function createChainOutput(...args: ConstructorParameters<typeof ChainOutput>): ChainOutput {
  const [main, mainWriters] = args;
  if (main.length === 1 && mainWriters.length === 0) return new SingleTargetChainOutput(...args);
  if (main.length === 0 && mainWriters.length === 1) return new SingleWriterChainOutput(...args);
  return new ChainOutput(...args);
}

/** The operators of one subtask, wired. */
export class OperatorChain {
  /** Operators in chain order (index 0 is the head). */
  readonly operators: StreamOperator[];
  /** The head when it is a source. */
  readonly source: SourceOperator | undefined;
  private contexts: OperatorContext[] = [];
  /** Per operator: builds its context once its keyed backend (if any) exists. */
  private readonly contextOf: ((backend: KeyedStateBackend | undefined) => OperatorContext)[];
  /** Keyed backends are created asynchronously (a database opens) at the start of `open`. */
  private creatingBackends: Promise<(KeyedStateBackend | undefined)[]> | undefined;
  private closed = false;
  /** Per operator: its chained inputs (ended when the operator before it finished). */
  private readonly chainedInputs: number[][];
  private readonly backends: KeyedStateBackend[] = [];
  /** Per operator: its keyed backend (undefined for non-keyed operators). */
  private backendOf: (KeyedStateBackend | undefined)[] = [];
  private readonly timers: InternalTimerService[] = [];
  /** Bounds timer firing of every operator of the chain (the task moves it per slice). */
  private readonly timerBudget: TimerFiringBudget;
  /** Operators that may leave timer work pending (keyed, or fed by one that may), head first. */
  private timerOperators: AbstractStreamOperator[] = [];
  private opened = 0;
  /** Per operator: its output (for metrics). */
  private readonly outputs: ChainOutput[] = [];
  /** Per operator: the chained operators feeding it (for metrics). */
  private readonly predecessors: number[][];
  /** The record writers of the chain's network outputs. */
  private readonly writers: RecordWriter[];

  constructor(private readonly options: OperatorChainOptions) {
    this.timerBudget = options.timerBudget ?? unboundedTimerBudget();
    const { job, vertex, subtaskIndex } = options;
    this.operators = vertex.operators.map((d) => createStreamOperator(d, job.functions.node(d.nodeId)));
    this.source = this.operators[0] instanceof SourceOperator ? this.operators[0] : undefined;
    this.chainedInputs = vertex.operators.map(() => []);
    for (const d of vertex.operators) for (const c of d.chainedOutputs) this.chainedInputs[c.targetOperatorIndex]!.push(c.targetInput);
    this.predecessors = vertex.operators.map(() => []);
    vertex.operators.forEach((d, i) => {
      for (const c of d.chainedOutputs) if (!this.predecessors[c.targetOperatorIndex]!.includes(i)) this.predecessors[c.targetOperatorIndex]!.push(i);
    });

    const writers = (this.writers = vertex.outputs.map((edge, i) => {
      const partition = options.partitions[i];
      if (!partition) throw new Error(`${vertex.name}: no result partition for output ${i}`);
      const producer = vertex.operators[edge.sourceOperatorIndex]!;
      const consumer = job.jobGraph.vertices.find((v) => v.id === edge.targetVertexId);
      const edgeName = edgeDisplayName(producer.name, edge.partitioner, consumer?.operators[edge.targetOperatorIndex]?.name ?? edge.targetVertexId);
      if (edge.partitioner === 'broadcast') return new RecordWriter(partition, undefined, producer.name, edgeName);
      const fns = edge.partitioner === 'hash' || edge.partitioner === 'custom' ? job.functions.edge(edge.streamEdgeId) : {};
      const selector = createChannelSelector({
        kind: edge.partitioner,
        numberOfChannels: partition.numberOfSubpartitions,
        subtaskIndex,
        parallelism: vertex.parallelism,
        consumerMaxParallelism: consumer?.maxParallelism ?? vertex.maxParallelism,
        keySelector: fns.keySelector,
        partitioner: fns.partitioner,
        operatorName: producer.name,
      });
      return new RecordWriter(partition, selector, producer.name, edgeName);
    }));

    this.contextOf = vertex.operators.map((d, idx) => {
      const op = this.operators[idx]!;
      const main: ChainTarget[] = [];
      const side = new Map<string, { targets: ChainTarget[]; writers: RecordWriter[] }>();
      const sideOf = (tag: string) => {
        let s = side.get(tag);
        if (!s) side.set(tag, (s = { targets: [], writers: [] }));
        return s;
      };
      const allTargets: ChainTarget[] = [];
      for (const c of d.chainedOutputs) {
        const t = { op: this.operators[c.targetOperatorIndex]!, input: c.targetInput };
        if (c.sideOutputTag !== undefined) sideOf(c.sideOutputTag).targets.push(t);
        else main.push(t);
        allTargets.push(t);
      }
      const mainWriters: RecordWriter[] = [];
      const allWriters: RecordWriter[] = [];
      for (const outIdx of d.networkOutputs) {
        const w = writers[outIdx]!;
        const tag = vertex.outputs[outIdx]!.sideOutputTag;
        if (tag !== undefined) sideOf(tag).writers.push(w);
        else mainWriters.push(w);
        allWriters.push(w);
      }
      const output = createChainOutput(main, mainWriters, side, allTargets, allWriters);
      this.outputs[idx] = output;
      return (backend: KeyedStateBackend | undefined): OperatorContext => {
        let timerService: InternalTimerService | undefined;
        if (backend) {
          timerService = new InternalTimerService(backend, options.processingTimeService, this.timerBudget);
          this.timers.push(timerService);
        }
        const operatorStateStore = new OperatorStateStore(d.name);
        const restored = options.restoredState?.get(d.operatorId);
        if (restored) operatorStateStore.restore(restored.operatorState);
        const info = {
          taskName: vertex.name,
          subtaskIndex,
          parallelism: vertex.parallelism,
          maxParallelism: vertex.maxParallelism,
          attemptNumber: options.attemptNumber,
          jobId: options.jobId,
        };
        const runtimeContext = new StreamingRuntimeContext(info, d.name, backend, operatorStateStore, options.ttlTimeProvider);
        const pts = options.processingTimeService;
        return {
          operatorName: op.name,
          subtaskIndex,
          parallelism: vertex.parallelism,
          maxParallelism: vertex.maxParallelism,
          attemptNumber: options.attemptNumber,
          jobId: options.jobId,
          output,
          runtimeContext,
          keyedStateBackend: backend,
          timerService,
          operatorStateStore,
          currentProcessingTime: () => pts.now(),
          processingTimeService: pts,
          autoWatermarkIntervalMs: job.jobGraph.settings.autoWatermarkIntervalMs,
          restoredCheckpointId: restored?.checkpointId,
        } satisfies OperatorContext;
      };
    });
  }

  /** Creates the keyed backends of keyed operators (stateless operators get none, so no database). */
  private async createBackends(): Promise<(KeyedStateBackend | undefined)[]> {
    const { vertex, subtaskIndex } = this.options;
    const factory = this.options.keyedStateBackendFactory ?? ((p) => new MemoryKeyedStateBackend(p));
    const keyGroupRange = keyGroupRangeForOperator(vertex.maxParallelism, vertex.parallelism, subtaskIndex);
    const out: (KeyedStateBackend | undefined)[] = [];
    for (const d of vertex.operators) {
      if (!d.keyed) {
        out.push(undefined);
        continue;
      }
      const backend = await factory({
        jobId: this.options.jobId,
        operatorId: d.operatorId,
        operatorName: d.name,
        subtaskIndex,
        attemptNumber: this.options.attemptNumber,
        maxParallelism: vertex.maxParallelism,
        keyGroupRange,
      });
      // Registered at once, so close() disposes it even when a later one fails.
      this.backends.push(backend);
      out.push(backend);
    }
    return out;
  }

  /** Opens operators tail first, so every operator's consumers are ready before it emits. */
  /** Records the chain's record writers wrote so far. */
  recordsWritten(): number {
    let n = 0;
    for (const w of this.writers) n += w.emitted;
    return n;
  }

  /** Records operator `index` emitted so far. */
  operatorRecordsOut(index: number): number {
    return this.outputs[index]?.count ?? 0;
  }

  /** Records chained operator `index` received so far (0 for the head: the task counts those). */
  operatorRecordsIn(index: number): number {
    let n = 0;
    for (const p of this.predecessors[index]!) n += this.outputs[p]?.count ?? 0;
    return n;
  }

  async open(): Promise<void> {
    const backends = await (this.creatingBackends ??= this.createBackends());
    if (this.closed) return;
    this.backendOf = backends;
    // Keyed state first, so the timer services below load the restored timers too.
    for (let i = 0; i < backends.length; i++) {
      const restored = this.options.restoredState?.get(this.options.vertex.operators[i]!.operatorId);
      if (backends[i] && restored && restored.keyed.length > 0) await backends[i]!.restore(restored.keyed);
      if (backends[i] && restored?.keyedNative) await restoreNativeKeyedState(backends[i]!, restored.keyedNative);
    }
    this.contexts = this.contextOf.map((build, i) => build(backends[i]));
    this.timerOperators = this.operators.filter((op, i): op is AbstractStreamOperator => op instanceof AbstractStreamOperator && !!this.contexts[i]!.timerService);
    for (const t of this.timers) await t.loadTimers();
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
  async snapshotState(ctx: StateSnapshotContext): Promise<OperatorSnapshot[]> {
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
        if (backend) out[i]!.keyed = await snapshotKeyedState(backend, ctx.savepoint);
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
    for (const w of this.writers) w.broadcastEvent(event);
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
    let first: Error | undefined;
    this.closed = true;
    // Backends still being created (a cancel during open) are disposed below too.
    await this.creatingBackends?.catch((err: unknown) => {
      first ??= err as Error;
    });
    const n = this.operators.length;
    for (let i = n - this.opened; i < n; i++) {
      try {
        await this.operators[i]!.close();
      } catch (err) {
        first ??= err as Error;
      }
    }
    this.opened = 0;
    for (const b of this.backends.splice(0)) {
      try {
        await b.dispose();
      } catch (err) {
        first ??= err as Error;
      }
    }
    return first;
  }
}

/** Builds the chain of one subtask. */
export function createOperatorChain(options: OperatorChainOptions): OperatorChain {
  return new OperatorChain(options);
}
