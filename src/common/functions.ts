/**
 * User function shapes. Every function may be a lambda or an object/class instance with the
 * named method plus optional `open(ctx)` / `close()` lifecycle methods (Flink's RichFunction).
 * The runtime calls them synchronously, once per record, with no promise on the hot path.
 */
import type { OpenParameters } from './configuration.js';
import type { RuntimeContext } from './runtime-context.js';
import type { OutputTag } from './output-tag.js';
import { FailedPreconditionError } from '../core/errors.js';

/** Receives output records. */
export interface Collector<T> {
  collect(value: T): void;
}

/**
 * Optional lifecycle of any function object. `open` receives the subtask's OpenContext, which
 * is also an empty Configuration: `open(openContext: OpenContext)` and Flink's older
 * `open(parameters: Configuration)` are both accepted.
 */
export interface RichFunction {
  open?(ctx: OpenParameters): void | Promise<void>;
  close?(): void | Promise<void>;
}

export type MapFunction<IN, OUT> = ((value: IN) => OUT) | (RichFunction & { map(value: IN): OUT });
export type FlatMapFunction<IN, OUT> =
  | ((value: IN, out: Collector<OUT>) => void)
  | (RichFunction & { flatMap(value: IN, out: Collector<OUT>): void });
export type FilterFunction<IN> = ((value: IN) => boolean) | (RichFunction & { filter(value: IN): boolean });
export type ReduceFunction<T> = ((a: T, b: T) => T) | (RichFunction & { reduce(a: T, b: T): T });
export type KeySelector<IN, K> = ((value: IN) => K) | { getKey(value: IN): K };

/** Routes a key to one of `numPartitions` channels (`partitionCustom`). */
export type Partitioner<K> = ((key: K, numPartitions: number) => number) | { partition(key: K, numPartitions: number): number };

/** Incremental aggregation (windows, AggregatingState). */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, acc: ACC): ACC;
  getResult(acc: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** Timers of a keyed operator. */
export interface TimerService {
  currentProcessingTime(): number;
  currentWatermark(): number;
  registerEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

/** Context of `processElement` in a ProcessFunction. */
export interface ProcessContext {
  /** The record's timestamp, or undefined when it has none. */
  timestamp(): number | undefined;
  timerService(): TimerService;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Context of `processElement` in a KeyedProcessFunction. */
export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K;
}

/** Flink's TimeDomain: what `OnTimerContext.timeDomain()` returns (`TimeDomain.EVENT_TIME`). */
export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

/** `TimeDomain.EVENT_TIME`, as Flink users write it. */
export const TimeDomain = {
  EVENT_TIME: 'EVENT_TIME',
  PROCESSING_TIME: 'PROCESSING_TIME',
} as const satisfies Record<TimeDomain, TimeDomain>;

/** Context of `onTimer`. */
export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  timeDomain(): 'EVENT_TIME' | 'PROCESSING_TIME';
}

/** Base of the classes that get a runtime context injected before `open`. */
export abstract class AbstractRichFunction {
  /** @internal set by the runtime before `open`. */
  __runtimeContext: RuntimeContext | undefined;

  /** The context of the subtask this instance runs in: state, subtask index, metrics. */
  getRuntimeContext(): RuntimeContext {
    if (!this.__runtimeContext) {
      throw new FailedPreconditionError('getRuntimeContext() is only available once the function is opened by the runtime');
    }
    return this.__runtimeContext;
  }

  /** Called once before the first record (Flink's `open(OpenContext)` / `open(Configuration)`). */
  open(_ctx: OpenParameters): void | Promise<void> {}
  /** Called once when the operator is closed, after its last record. */
  close(): void | Promise<void> {}
}

/** A function processing each element of a (non-keyed) stream. */
export abstract class ProcessFunction<IN, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN, ctx: ProcessContext, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<never>, _out: Collector<OUT>): void {}
}

/** A function processing each element of a keyed stream, with keyed state and timers. */
export abstract class KeyedProcessFunction<K, IN, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<OUT>): void {}
}

/** Context passed to a sink's `invoke`. */
export interface SinkContext {
  /** The record's timestamp, or undefined. */
  timestamp(): number | undefined;
  currentProcessingTime(): number;
  currentWatermark(): number;
}

/** A sink function: a lambda or an object with `invoke`. */
export type SinkFunction<T> =
  | ((value: T, ctx: SinkContext) => void)
  | (RichFunction & { invoke(value: T, ctx: SinkContext): void; getRuntimeContext?(): RuntimeContext });

/** Base class for sinks that want `getRuntimeContext()` (operator state, subtask info). */
export abstract class RichSinkFunction<T> extends AbstractRichFunction {
  abstract invoke(value: T, ctx: SinkContext): void;
}
