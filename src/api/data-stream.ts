/**
 * DataStream: a stream of records of type `T` and the transformations that derive new
 * streams from it (Flink's DataStream). Every call records a node (or a virtual node for
 * partitioning and unions) in the environment's StreamGraph; nothing runs until the job is
 * submitted.
 */
import { JobBuildError } from '../core/errors.js';
import type { PartitionerKind } from '../common/job-graph.js';
import type { StreamNodeSpec } from '../graph/stream-graph.js';
import { PrintSink } from '../connectors/print-sink.js';
import { isSink, type Sink } from '../common/sink.js';
import { fieldKeySelector, type FieldExpression } from '../common/field-aggregation.js';
import { requireFunctionOrMethod, requireMethod, describeValue } from './function-checks.js';
import type {
  FilterFunction,
  FlatMapFunction,
  KeySelector,
  MapFunction,
  Partitioner,
  ProcessFunction,
  SinkFunction,
} from '../common/functions.js';
import { BroadcastConnectedStream, BroadcastStream } from './broadcast-stream.js';
import { CoGroupedStreams } from './co-grouped-streams.js';
import { ConnectedStreams } from './connected-streams.js';
import { JoinedStreams } from './join-windowed.js';
import { DataStreamSink } from './data-stream-sink.js';
import { ALL_WINDOW_KEY, AllWindowedStream } from './all-windowed-stream.js';
import { WatermarkStrategy } from '../common/watermark-strategy.js';
import { CountEvictor } from '../common/windowing/evictors.js';
import { CountTrigger, PurgingTrigger } from '../common/windowing/triggers.js';
import { GlobalWindows, type WindowAssigner } from '../common/windowing/window-assigners.js';
import type { GlobalWindow, Window } from '../common/windowing/windows.js';
import type { MapStateDescriptor } from '../common/state-descriptors.js';
import type { KeyedStream } from './keyed-stream.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { StreamContext } from './stream-context.js';
import type { StreamExecutionEnvironment } from './stream-execution-environment.js';

/** A stream of records of type `T`. */
export class DataStream<T> {
  declare readonly __type?: T;

  /** @internal streams are created by the environment and by transformations. */
  constructor(
    /** @internal */ readonly context: StreamContext,
    /** @internal the (possibly virtual) StreamGraph node this stream reads from. */ readonly nodeId: number,
  ) {}

  /** The environment this stream belongs to. */
  getExecutionEnvironment(): StreamExecutionEnvironment {
    return this.context.environment;
  }

  /** The key selector of a keyed stream, so that operators on it get keyed state. */
  protected stateKeySelector(): KeySelector<unknown, unknown> | undefined {
    return undefined;
  }

  /** Records a one-input operator reading this stream. */
  protected addOperator<R>(spec: StreamNodeSpec): SingleOutputStreamOperator<R> {
    const node = this.context.graph.addNode(this.withKeyedInput(spec), [this.nodeId]);
    return this.context.operatorStream<R>(node);
  }

  private withKeyedInput(spec: StreamNodeSpec): StreamNodeSpec {
    const keySelector = this.stateKeySelector();
    return keySelector ? { ...spec, keyed: true, keySelectors: [keySelector] } : spec;
  }

  /** Applies `fn` to every record. */
  map<R>(fn: MapFunction<T, R>): SingleOutputStreamOperator<R> {
    requireFunctionOrMethod('map', fn, 'map');
    return this.addOperator<R>({ kind: 'map', name: 'Map', userFunction: fn });
  }

  /** Emits zero or more records per record: `flatMap((x, out) => out.collect(y))`. */
  flatMap<R>(fn: FlatMapFunction<T, R>): SingleOutputStreamOperator<R> {
    requireFunctionOrMethod('flatMap', fn, 'flatMap');
    return this.addOperator<R>({ kind: 'flatMap', name: 'Flat Map', userFunction: fn });
  }

  /** Keeps the records for which `fn` returns true. */
  filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    requireFunctionOrMethod('filter', fn, 'filter');
    return this.addOperator<T>({ kind: 'filter', name: 'Filter', userFunction: fn });
  }

  /** Processes every record with a {@link ProcessFunction} (side outputs, timestamps). */
  process<R>(fn: ProcessFunction<T, R>): SingleOutputStreamOperator<R> {
    requireMethod('process', fn, 'processElement', 'a ProcessFunction');
    return this.addOperator<R>({ kind: 'process', name: 'Process', userFunction: fn });
  }

  /**
   * Partitions the stream by key: records with the same key go to the same subtask. Flink's
   * deprecated `keyBy(0)` / `keyBy("field")` forms (one tuple position or field name) are accepted.
   */
  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<T, K>;
  keyBy<K = unknown>(field: FieldExpression): KeyedStream<T, K>;
  keyBy<K>(keySelector: KeySelector<T, K> | FieldExpression): KeyedStream<T, K> {
    if (typeof keySelector === 'number' || typeof keySelector === 'string') return this.keyBy(fieldKeySelector(keySelector) as KeySelector<T, K>);
    requireFunctionOrMethod('keyBy', keySelector, 'getKey');
    const id = this.context.graph.addPartition(this.nodeId, 'hash', keySelector as KeySelector<unknown, unknown>);
    return this.context.keyedStream<T, K>(id, keySelector);
  }

  /**
   * Gives every record the timestamp of `strategy`'s assigner and replaces the stream's
   * watermarks by those of its generator (called per record and every
   * `pipeline.auto-watermark-interval`).
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    if (!(strategy instanceof WatermarkStrategy)) {
      throw new JobBuildError(`assignTimestampsAndWatermarks() expects a WatermarkStrategy, got ${describeValue(strategy)}`);
    }
    return this.addOperator<T>({ kind: 'timestampsAndWatermarks', name: 'Timestamps/Watermarks', userFunction: strategy });
  }

  /** Windows over the whole stream, evaluated by one non-parallel operator (Flink's windowAll). */
  windowAll<W extends Window>(assigner: WindowAssigner<W>): AllWindowedStream<T, W> {
    return new AllWindowedStream<T, W>(this.keyBy(ALL_WINDOW_KEY as KeySelector<T, number>), assigner);
  }

  /** Count windows over the whole stream: every `size` records, or the last `size` every `slide` records. */
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    const windowed = this.windowAll(GlobalWindows.create());
    if (slide === undefined) return windowed.trigger(PurgingTrigger.of(CountTrigger.of(size)));
    return windowed.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  /** Merges this stream with `streams` (all of the same type and environment). */
  union(...streams: DataStream<T>[]): DataStream<T> {
    for (const s of streams) {
      if (!(s instanceof DataStream)) throw new JobBuildError(`union() expects DataStreams, got ${describeValue(s)}`);
      if (s.context !== this.context) {
        throw new JobBuildError('union() of streams from different execution environments: build the whole job on one environment');
      }
    }
    const id = this.context.graph.addUnion([this.nodeId, ...streams.map((s) => s.nodeId)]);
    return new DataStream<T>(this.context, id);
  }

  private partitioned(kind: PartitionerKind): DataStream<T> {
    return new DataStream<T>(this.context, this.context.graph.addPartition(this.nodeId, kind));
  }

  /** Window join with `other`: `join(other).where(k1).equalTo(k2).window(assigner).apply(fn)`. */
  join<T2>(other: DataStream<T2>): JoinedStreams<T, T2> {
    if (!(other instanceof DataStream)) throw new JobBuildError(`join() expects a DataStream, got ${describeValue(other)}`);
    return new JoinedStreams<T, T2>(this, other);
  }

  /** Window co-group with `other`: `coGroup(other).where(k1).equalTo(k2).window(assigner).apply(fn)`. */
  coGroup<T2>(other: DataStream<T2>): CoGroupedStreams<T, T2> {
    if (!(other instanceof DataStream)) throw new JobBuildError(`coGroup() expects a DataStream, got ${describeValue(other)}`);
    return new CoGroupedStreams<T, T2>(this, other);
  }

  /** Round-robin over all downstream subtasks. */
  rebalance(): DataStream<T> {
    return this.partitioned('rebalance');
  }

  /** Uniformly random downstream subtask. */
  shuffle(): DataStream<T> {
    return this.partitioned('shuffle');
  }

  /** Round-robin over a local subset of downstream subtasks. */
  rescale(): DataStream<T> {
    return this.partitioned('rescale');
  }

  /** Same subtask index downstream; needs equal parallelism on both sides. */
  forward(): DataStream<T> {
    return this.partitioned('forward');
  }

  /** Everything to the first downstream subtask. */
  global(): DataStream<T> {
    return this.partitioned('global');
  }

  /** Every record to every downstream subtask. */
  broadcast(): DataStream<T>;
  /**
   * The broadcast state pattern: a stream broadcast to every subtask of the operator it is
   * connected to, which may keep the named broadcast states (`connect(...).process(...)`).
   */
  broadcast(...broadcastStateDescriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T>;
  broadcast(...broadcastStateDescriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    if (broadcastStateDescriptors.length === 0) return this.partitioned('broadcast');
    const id = this.context.graph.addPartition(this.nodeId, 'broadcast');
    return new BroadcastStream<T>(this.context, id, broadcastStateDescriptors);
  }

  /**
   * Connects this stream with `other` for a two-input operator (`process`, `map`, `flatMap`),
   * or with a {@link BroadcastStream} for the broadcast state pattern.
   */
  connect<R>(other: BroadcastStream<R>): BroadcastConnectedStream<T, R>;
  connect<R>(other: DataStream<R>): ConnectedStreams<T, R>;
  connect<R>(other: DataStream<R> | BroadcastStream<R>): ConnectedStreams<T, R> | BroadcastConnectedStream<T, R> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, R>(this.context, this, other);
    if (!(other instanceof DataStream)) throw new JobBuildError(`connect() expects a DataStream or a BroadcastStream, got ${describeValue(other)}`);
    return new ConnectedStreams<T, R>(this.context, this, other);
  }

  /** Routes records by `partitioner(keySelector(record), numPartitions)`. */
  partitionCustom<K>(partitioner: Partitioner<K>, keySelector: KeySelector<T, K>): DataStream<T> {
    requireFunctionOrMethod('partitionCustom', partitioner, 'partition');
    requireFunctionOrMethod('partitionCustom', keySelector, 'getKey');
    const id = this.context.graph.addPartition(
      this.nodeId,
      'custom',
      keySelector as KeySelector<unknown, unknown>,
      partitioner as Partitioner<unknown>,
    );
    return new DataStream<T>(this.context, id);
  }

  private addSinkNode(spec: StreamNodeSpec): DataStreamSink<T> {
    const node = this.context.graph.addNode(this.withKeyedInput(spec), [this.nodeId]);
    return new DataStreamSink<T>(this.context, node);
  }

  /** Prints every record to stdout (`"<subtask>> record"` when parallel, Flink's format). */
  print(prefix?: string): DataStreamSink<T> {
    return this.addSinkNode({ kind: 'sink', name: 'Print to Std. Out', userFunction: new PrintSink<T>({ prefix }) });
  }

  /** Prints every record to stderr. */
  printToErr(prefix?: string): DataStreamSink<T> {
    return this.addSinkNode({ kind: 'sink', name: 'Print to Std. Err', userFunction: new PrintSink<T>({ prefix, stderr: true }) });
  }

  /** Hands every record to a sink function: a lambda or an object with `invoke(value, ctx)`. */
  addSink(fn: SinkFunction<T>): DataStreamSink<T> {
    requireFunctionOrMethod('addSink', fn, 'invoke');
    return this.addSinkNode({ kind: 'sink', name: 'Unnamed', userFunction: fn });
  }

  /** Writes the stream to a {@link Sink} such as `FileSink.forRowFormat(dir)`. */
  sinkTo(sink: Sink<T>): DataStreamSink<T> {
    if (!isSink(sink)) throw new JobBuildError(`sinkTo() expects a Sink (an object with createWriter()), got ${describeValue(sink)}`);
    return this.addSinkNode({ kind: 'sink', name: 'Writer', userFunction: sink });
  }

  /**
   * Runs the job this stream belongs to on a local mini-cluster and returns every record of
   * this stream (Flink's `executeAndCollect`), for tests and small programs.
   */
  executeAndCollect(jobName?: string): Promise<T[]> {
    return this.context.executeAndCollect<T>(this.nodeId, jobName);
  }
}
