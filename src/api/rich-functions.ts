/**
 * Flink's `Rich*` function classes: the function interfaces as abstract classes with the
 * lifecycle of {@link AbstractRichFunction} — `open(openContext)` (or Flink's older
 * `open(parameters: Configuration)`), `close()` and `getRuntimeContext()` for state and subtask
 * information. Extend them as in Flink: `class Enrich extends RichCoFlatMapFunction<A, B, C>`.
 * Lambdas and plain objects keep working wherever these are accepted.
 */
import { AbstractRichFunction, type AggregateFunction, type Collector } from '../common/functions.js';
import type { TimeWindow, Window } from '../common/windowing/windows.js';

/** A map function with lifecycle and runtime context. */
export abstract class RichMapFunction<IN, OUT> extends AbstractRichFunction {
  abstract map(value: IN): OUT;
}

/** A flatMap function with lifecycle and runtime context. */
export abstract class RichFlatMapFunction<IN, OUT> extends AbstractRichFunction {
  abstract flatMap(value: IN, out: Collector<OUT>): void;
}

/** A filter function with lifecycle and runtime context. */
export abstract class RichFilterFunction<T> extends AbstractRichFunction {
  abstract filter(value: T): boolean;
}

/** A reduce function with lifecycle and runtime context (keyed `reduce`, window `reduce`). */
export abstract class RichReduceFunction<T> extends AbstractRichFunction {
  abstract reduce(value1: T, value2: T): T;
}

/** An aggregate function with lifecycle and runtime context (window `aggregate`). */
export abstract class RichAggregateFunction<IN, ACC, OUT> extends AbstractRichFunction implements AggregateFunction<IN, ACC, OUT> {
  abstract createAccumulator(): ACC;
  abstract add(value: IN, accumulator: ACC): ACC;
  abstract getResult(accumulator: ACC): OUT;
  abstract merge(a: ACC, b: ACC): ACC;
}

/** A co-map function (`connect(...).map(...)`) with lifecycle and runtime context. */
export abstract class RichCoMapFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract map1(value: IN1): OUT;
  abstract map2(value: IN2): OUT;
}

/** A co-flatMap function (`connect(...).flatMap(...)`); on keyed connected streams it may use keyed state. */
export abstract class RichCoFlatMapFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract flatMap1(value: IN1, out: Collector<OUT>): void;
  abstract flatMap2(value: IN2, out: Collector<OUT>): void;
}

/** A (legacy) window function `apply(key, window, input, out)` with lifecycle and runtime context. */
export abstract class RichWindowFunction<IN, OUT, K, W extends Window = TimeWindow> extends AbstractRichFunction {
  abstract apply(key: K, window: W, input: Iterable<IN>, out: Collector<OUT>): void;
}

/** An all-window function `apply(window, input, out)` (`windowAll`) with lifecycle and runtime context. */
export abstract class RichAllWindowFunction<IN, OUT, W extends Window = TimeWindow> extends AbstractRichFunction {
  abstract apply(window: W, input: Iterable<IN>, out: Collector<OUT>): void;
}

/** A window-join function `join(first, second)` with lifecycle and runtime context. */
export abstract class RichJoinFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract join(first: IN1, second: IN2): OUT;
}

/** A window-join function `join(first, second, out)` emitting any number of results. */
export abstract class RichFlatJoinFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract join(first: IN1, second: IN2, out: Collector<OUT>): void;
}

/** A co-group function `coGroup(first, second, out)` with lifecycle and runtime context. */
export abstract class RichCoGroupFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract coGroup(first: Iterable<IN1>, second: Iterable<IN2>, out: Collector<OUT>): void;
}
