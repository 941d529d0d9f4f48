/**
 * Functions applied to the contents of a window (Flink's ProcessWindowFunction, WindowFunction
 * and their all-window variants). Each may be a lambda or an object / class instance with the
 * named method plus optional `open(ctx)` / `close()`; classes extending
 * {@link ProcessWindowFunction} get `getRuntimeContext()`.
 */
import { AbstractRichFunction, type Collector, type RichFunction } from './functions.js';
import type { OutputTag } from './output-tag.js';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './runtime-context.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './state-descriptors.js';
import type { TimeWindow, Window, WindowAccessor } from './windowing/windows.js';

/** Keyed state scoped to the current key (and, for `windowState()`, the current window). */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

/** What a window function sees of the window being emitted. */
export interface ProcessWindowContext<W extends Window = TimeWindow> {
  /**
   * The window whose contents are being emitted: `ctx.window.end`, or as Flink writes it,
   * `context.window().getEnd()`.
   */
  readonly window: WindowAccessor<W>;
  /** The operator's current event-time watermark. */
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** State of the current key in this window; cleared when the window is cleaned up. */
  windowState(): KeyedStateStore;
  /** State of the current key across all windows. */
  globalState(): KeyedStateStore;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Base class of process window functions written as classes. */
export abstract class AbstractProcessWindowFunction<IN, OUT, K, W extends Window = TimeWindow> extends AbstractRichFunction {
  /** Emits results for the elements of one key's window. */
  abstract process(key: K, ctx: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
  /** Called when the window is cleaned up: clear `ctx.windowState()` here. */
  clear(_ctx: ProcessWindowContext<W>): void {}
}

/**
 * A process window function: `(key, ctx, elements, out) => void`, or an object / class with
 * `process(key, ctx, elements, out)` (extend {@link ProcessWindowFunction} for `getRuntimeContext()`).
 */
export type ProcessWindowFunction<IN, OUT, K, W extends Window = TimeWindow> =
  | ((key: K, ctx: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>) => void)
  | (RichFunction & {
      process(key: K, ctx: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
      clear?(ctx: ProcessWindowContext<W>): void;
    });

/** The class to extend for a process window function (`class F extends ProcessWindowFunction<…>`). */
export const ProcessWindowFunction = AbstractProcessWindowFunction;

/** Base class of process all-window functions written as classes. */
export abstract class AbstractProcessAllWindowFunction<IN, OUT, W extends Window = TimeWindow> extends AbstractRichFunction {
  abstract process(ctx: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
  clear(_ctx: ProcessWindowContext<W>): void {}
}

/** A function over the elements of a window of a non-keyed stream (`windowAll`). */
export type ProcessAllWindowFunction<IN, OUT, W extends Window = TimeWindow> =
  | ((ctx: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>) => void)
  | (RichFunction & {
      process(ctx: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
      clear?(ctx: ProcessWindowContext<W>): void;
    });

/** The class to extend for a process all-window function. */
export const ProcessAllWindowFunction = AbstractProcessAllWindowFunction;

/** Flink's (legacy) WindowFunction: `(key, window, input, out) => void` or `{ apply(…) }`. */
export type WindowFunction<IN, OUT, K, W extends Window = TimeWindow> =
  | ((key: K, window: W, input: Iterable<IN>, out: Collector<OUT>) => void)
  | (RichFunction & { apply(key: K, window: W, input: Iterable<IN>, out: Collector<OUT>): void });

/** Flink's AllWindowFunction: `(window, input, out) => void` or `{ apply(…) }`. */
export type AllWindowFunction<IN, OUT, W extends Window = TimeWindow> =
  | ((window: W, input: Iterable<IN>, out: Collector<OUT>) => void)
  | (RichFunction & { apply(window: W, input: Iterable<IN>, out: Collector<OUT>): void });

/** A {@link WindowFunction} written as an object (`{ apply }`), as `reduce`/`aggregate` accept it; lambdas there are process window functions. */
export type WindowFunctionObject<IN, OUT, K, W extends Window = TimeWindow> = Exclude<WindowFunction<IN, OUT, K, W>, (...args: never[]) => unknown>;

/** An {@link AllWindowFunction} written as an object (`{ apply }`). */
export type AllWindowFunctionObject<IN, OUT, W extends Window = TimeWindow> = Exclude<AllWindowFunction<IN, OUT, W>, (...args: never[]) => unknown>;
