/**
 * Two streams connected for a two-input operator (Flink's ConnectedStreams), possibly of
 * different types: `a.connect(b).process(coProcessFunction)`. When both inputs are keyed
 * (`a.connect(b).keyBy(k1, k2)`, or two KeyedStreams connected), the operator is keyed: both
 * inputs share a key's state and timers, and records with the same key meet in one subtask.
 */
import { JobBuildError } from '../core/errors.js';
import type { OperatorKind } from '../common/job-graph.js';
import type { StreamNodeSpec } from '../graph/stream-graph.js';
import type { CoFlatMapFunction, CoMapFunction, CoProcessFunction, KeyedCoProcessFunction } from '../common/co-functions.js';
import type { DataStream } from './data-stream.js';
import { requireFunctionOrMethod, requireMethod } from './function-checks.js';
import type { KeySelector } from '../common/functions.js';
import type { KeyedStream } from './keyed-stream.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { StreamContext } from './stream-context.js';

/** The key selector of `stream` when it is a KeyedStream (duck-typed: no import cycle). */
export function keySelectorOf(stream: DataStream<unknown>): KeySelector<unknown, unknown> | undefined {
  const s = stream as Partial<KeyedStream<unknown, unknown>>;
  return typeof s.getKeySelector === 'function' ? (s.getKeySelector() as KeySelector<unknown, unknown>) : undefined;
}

/** Records a two-input operator node reading node `firstId` (input 1) and node `secondId` (input 2). */
export function addTwoInputOperator<R>(context: StreamContext, firstId: number, secondId: number, spec: StreamNodeSpec): SingleOutputStreamOperator<R> {
  const node = context.graph.addTwoInputNode(spec, [firstId], [secondId]);
  return context.operatorStream<R>(node);
}

/** Two connected streams with element types `IN1` and `IN2`. */
export class ConnectedStreams<IN1, IN2> {
  /** @internal created by `DataStream.connect`. */
  constructor(
    /** @internal */ readonly context: StreamContext,
    private readonly first: DataStream<IN1>,
    private readonly second: DataStream<IN2>,
  ) {
    if (first.context !== second.context) {
      throw new JobBuildError('connect() of streams from different execution environments: build the whole job on one environment');
    }
  }

  /** The first input. */
  getFirstInput(): DataStream<IN1> {
    return this.first;
  }

  /** The second input. */
  getSecondInput(): DataStream<IN2> {
    return this.second;
  }

  /** True when both inputs are keyed, so the operator gets keyed state and timers. */
  isKeyed(): boolean {
    return this.keySelectors() !== undefined;
  }

  private keySelectors(): [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>] | undefined {
    const k1 = keySelectorOf(this.first as DataStream<unknown>);
    const k2 = keySelectorOf(this.second as DataStream<unknown>);
    return k1 && k2 ? [k1, k2] : undefined;
  }

  /**
   * Partitions both inputs by key (`keySelector1` for the first, `keySelector2` for the
   * second); records whose keys are equal meet in the same subtask and share keyed state.
   */
  keyBy<K>(keySelector1: KeySelector<IN1, K>, keySelector2: KeySelector<IN2, K>): ConnectedStreams<IN1, IN2> {
    requireFunctionOrMethod('keyBy', keySelector1, 'getKey');
    requireFunctionOrMethod('keyBy', keySelector2, 'getKey');
    return new ConnectedStreams<IN1, IN2>(this.context, this.first.keyBy(keySelector1), this.second.keyBy(keySelector2));
  }

  private add<R>(kind: OperatorKind, name: string, fn: unknown): SingleOutputStreamOperator<R> {
    const selectors = this.keySelectors();
    const spec: StreamNodeSpec = selectors
      ? { kind, name, userFunction: fn, keyed: true, keySelectors: selectors }
      : { kind, name, userFunction: fn };
    return addTwoInputOperator<R>(this.context, this.first.nodeId, this.second.nodeId, spec);
  }

  /** Maps records of the first input with `map1` and of the second with `map2`. */
  map<R>(fn: CoMapFunction<IN1, IN2, R>): SingleOutputStreamOperator<R> {
    requireMethod('map', fn, 'map1', 'a CoMapFunction');
    requireMethod('map', fn, 'map2', 'a CoMapFunction');
    return this.add<R>('coMap', 'Co-Map', fn);
  }

  /** Emits any number of records per record, with `flatMap1` / `flatMap2`. */
  flatMap<R>(fn: CoFlatMapFunction<IN1, IN2, R>): SingleOutputStreamOperator<R> {
    requireMethod('flatMap', fn, 'flatMap1', 'a CoFlatMapFunction');
    requireMethod('flatMap', fn, 'flatMap2', 'a CoFlatMapFunction');
    return this.add<R>('coFlatMap', 'Co-Flat Map', fn);
  }

  /**
   * Processes both inputs with `processElement1` / `processElement2`. Keyed connected streams
   * run a KeyedCoProcessFunction (or a CoProcessFunction) with keyed state and timers.
   */
  process<R, K = unknown>(fn: CoProcessFunction<IN1, IN2, R> | KeyedCoProcessFunction<K, IN1, IN2, R>): SingleOutputStreamOperator<R> {
    requireMethod('process', fn, 'processElement1', 'a CoProcessFunction');
    requireMethod('process', fn, 'processElement2', 'a CoProcessFunction');
    return this.isKeyed() ? this.add<R>('keyedCoProcess', 'KeyedCo-Process', fn) : this.add<R>('coProcess', 'Co-Process', fn);
  }
}
