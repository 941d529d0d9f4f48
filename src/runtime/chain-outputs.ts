/**
 * The outputs of an {@link OperatorChain}: one {@link RecordWriter} per outgoing JobEdge of the
 * vertex, and per operator an {@link Output} that fans its records out to the chained operators
 * and record writers it feeds (main output, and side outputs by tag id). Also counts what went
 * through, for the task's metrics.
 */
import type { BuiltJob } from '../common/built-job.js';
import type { JobVertex } from '../common/job-graph.js';
import type { ChannelEvent, CheckpointBarrierEvent, RecordBatch } from '../common/stream-element.js';
import type { ResultPartition } from '../network/shuffle-types.js';
import { createChannelSelector } from './channel-selectors.js';
import { edgeDisplayName, RecordWriter } from './record-writer.js';
import type { Output, StreamOperator } from './stream-operator.js';
import { InternalError } from '../core/errors.js';

/** A chained target: operator and logical input. */
interface ChainTarget {
  op: StreamOperator;
  input: number;
}

/** Fans an operator's output out to chained operators and record writers. */
export class ChainOutput implements Output {
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

/** What the chain's outputs are wired from. */
export interface ChainOutputsOptions {
  job: BuiltJob;
  vertex: JobVertex;
  subtaskIndex: number;
  /** One per `vertex.outputs`, in order. */
  partitions: ResultPartition[];
  /** The chain's operators, in `vertex.operators` order. */
  operators: StreamOperator[];
}

/** The record writers of a chain and the output of each of its operators. */
export class ChainOutputs {
  /** Per operator: its output. */
  readonly outputs: ChainOutput[];
  /** The record writers of the chain's network outputs, one per `vertex.outputs`. */
  private readonly writers: RecordWriter[];
  /** Per operator: the chained operators feeding it (for metrics). */
  private readonly predecessors: number[][];

  constructor(options: ChainOutputsOptions) {
    const { vertex, operators } = options;
    this.writers = createRecordWriters(options);
    this.predecessors = vertex.operators.map(() => []);
    vertex.operators.forEach((d, i) => {
      for (const c of d.chainedOutputs) if (!this.predecessors[c.targetOperatorIndex]!.includes(i)) this.predecessors[c.targetOperatorIndex]!.push(i);
    });
    this.outputs = vertex.operators.map((d) => {
      const main: ChainTarget[] = [];
      const side = new Map<string, { targets: ChainTarget[]; writers: RecordWriter[] }>();
      const sideOf = (tag: string) => {
        let s = side.get(tag);
        if (!s) side.set(tag, (s = { targets: [], writers: [] }));
        return s;
      };
      const allTargets: ChainTarget[] = [];
      for (const c of d.chainedOutputs) {
        const t = { op: operators[c.targetOperatorIndex]!, input: c.targetInput };
        if (c.sideOutputTag !== undefined) sideOf(c.sideOutputTag).targets.push(t);
        else main.push(t);
        allTargets.push(t);
      }
      const mainWriters: RecordWriter[] = [];
      const allWriters: RecordWriter[] = [];
      for (const outIdx of d.networkOutputs) {
        const w = this.writers[outIdx]!;
        const tag = vertex.outputs[outIdx]!.sideOutputTag;
        if (tag !== undefined) sideOf(tag).writers.push(w);
        else mainWriters.push(w);
        allWriters.push(w);
      }
      return createChainOutput(main, mainWriters, side, allTargets, allWriters);
    });
  }

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

  /** Sends `event` on every network output of the chain (after the records before it). */
  broadcastEvent(event: ChannelEvent): void {
    for (const w of this.writers) w.broadcastEvent(event);
  }

  /** Puts an unaligned barrier ahead of every network output's queued batches; returns them per output and subpartition. */
  broadcastPriorityEvent(event: ChannelEvent): RecordBatch[][][] {
    return this.writers.map((w) => w.partition.broadcastPriorityEvent(event));
  }

  /** Sends a timeoutable aligned barrier on every network output; resolves with what it overtook per output and subpartition. */
  broadcastTimeoutableBarrier(barrier: CheckpointBarrierEvent): Promise<RecordBatch[][][]> {
    return Promise.all(this.writers.map((w) => w.partition.broadcastTimeoutableBarrier(barrier)));
  }

  /** The aligned timeout of `checkpointId` passed: its barriers still queued in the outputs jump ahead. */
  alignedBarrierTimeout(checkpointId: number): void {
    for (const w of this.writers) w.partition.alignedBarrierTimeout(checkpointId);
  }
}

/** One record writer per outgoing JobEdge of the vertex, each with its channel selector. */
function createRecordWriters(options: ChainOutputsOptions): RecordWriter[] {
  const { job, vertex, subtaskIndex } = options;
  return vertex.outputs.map((edge, i) => {
    const partition = options.partitions[i];
    if (!partition) throw new InternalError(`${vertex.name}: no result partition for output ${i}`);
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
  });
}
