/**
 * Flink's legacy source functions for `env.addSource(fn)`: a `run(ctx)` that loops and emits
 * with `ctx.collect(x)` until `cancel()` is called or it returns.
 *
 * Node runs a task on one thread, so `run` is (usually) an `async` function whose loop awaits
 * where a Java source would block: `await sleep(ms)` for `Thread.sleep(ms)`, and
 * `await ctx.collect(x)` to wait while the task's buffer is full (backpressure). The event loop
 * is the checkpoint lock: a checkpoint is taken only while `run` awaits, so a state change made
 * in the same synchronous step as its `collect` (`ctx.collect(records[this.offset++])`) is
 * always consistent with what was emitted.
 */
import { AbstractRichFunction } from './functions.js';
import type { Watermark } from './watermark-strategy.js';

/** What a source function emits through (Flink's `SourceFunction.SourceContext`). */
export interface SourceContext<T> {
  /**
   * Emits `element`. Returns a Promise while the task's buffer is full: `await ctx.collect(x)`
   * waits until the task took records from it (a loop that never awaits it fails the task
   * once it collected far past the buffer's capacity).
   */
  collect(element: T): void | Promise<void>;
  /** Emits `element` with its event time `timestamp` (ms). Same backpressure as {@link collect}. */
  collectWithTimestamp(element: T, timestamp: number): void | Promise<void>;
  /** Emits a watermark (ms, or Flink's `new Watermark(ts)`), in order with the records. */
  emitWatermark(mark: number | Watermark): void;
  /** No records for now: downstream does not wait for this source's watermark until it emits again. */
  markAsTemporarilyIdle(): void;
  /**
   * Flink's checkpoint lock, for code that synchronises on it. Node needs none: the event loop
   * already runs one thing at a time and a checkpoint happens only while `run` awaits.
   */
  getCheckpointLock(): object;
  /** Nothing to release (Flink's `SourceContext.close`). */
  close(): void;
}

/**
 * A source function: `run(ctx)` emits until it returns (a bounded source ends) or `cancel()` is
 * called (the job is canceled, stopped or restarted; `run` should then return soon). Runs with
 * one subtask; extend {@link ParallelSourceFunction} to run it in parallel.
 */
export interface SourceFunction<T> {
  run(ctx: SourceContext<T>): void | Promise<void>;
  cancel(): void;
}

/**
 * A source function that runs with any parallelism; each subtask runs its own instance
 * (`getRuntimeContext().getIndexOfThisSubtask()` in the Rich variant says which). Extend it:
 * a class that only `implements` it carries no mark at runtime and runs with one subtask.
 */
export abstract class ParallelSourceFunction<T> implements SourceFunction<T> {
  abstract run(ctx: SourceContext<T>): void | Promise<void>;
  abstract cancel(): void;
}

/** A non-parallel source function with lifecycle (`open`/`close`) and `getRuntimeContext()`. */
export abstract class RichSourceFunction<T> extends AbstractRichFunction implements SourceFunction<T> {
  abstract run(ctx: SourceContext<T>): void | Promise<void>;
  abstract cancel(): void;
}

/** A parallel source function with lifecycle (`open`/`close`) and `getRuntimeContext()`. */
export abstract class RichParallelSourceFunction<T> extends AbstractRichFunction implements SourceFunction<T> {
  abstract run(ctx: SourceContext<T>): void | Promise<void>;
  abstract cancel(): void;
}

/** True for an object with a `run` method (what `addSource` accepts). */
export function isSourceFunction(x: unknown): x is SourceFunction<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { run?: unknown }).run === 'function';
}

/** True when `fn` may run with more than one subtask (it extends a parallel source class). */
export function isParallelSourceFunction(fn: unknown): boolean {
  return fn instanceof ParallelSourceFunction || fn instanceof RichParallelSourceFunction;
}
