/**
 * What a `window` node hands to the runtime: the assigner, trigger, optional evictor, lateness,
 * how contents are kept (all elements, a running reduce, or an aggregate's accumulator) and the
 * function that turns them into results. Built by WindowedStream / AllWindowedStream; the
 * runtime's WindowOperator (or EvictingWindowOperator when an evictor is set) executes it.
 */
import type { AggregateFunction, ReduceFunction } from '../functions.js';
import type { Evictor } from './evictors.js';
import type { Trigger } from './triggers.js';
import type { WindowAssigner } from './window-assigners.js';
import type { Window } from './windows.js';

/** How a window's contents are kept in state. */
export type WindowAggregation =
  /** Every element (process / apply, and always with an evictor). */
  | { readonly kind: 'list' }
  /** A running reduce: the window function sees one value. */
  | { readonly kind: 'reduce'; readonly fn: ReduceFunction<unknown> }
  /** An aggregate's accumulator: the window function sees `getResult(acc)`. */
  | { readonly kind: 'aggregate'; readonly fn: AggregateFunction<unknown, unknown, unknown> };

/** Which shape the window function has. */
export type WindowFunctionKind =
  /** ProcessWindowFunction: `(key, ctx, elements, out)` or `{ process }`. */
  | 'process'
  /** WindowFunction: `(key, window, input, out)` or `{ apply }`. */
  | 'apply'
  /** ProcessAllWindowFunction: `(ctx, elements, out)` or `{ process }`. */
  | 'processAll'
  /** AllWindowFunction: `(window, input, out)` or `{ apply }`. */
  | 'applyAll'
  /** No function: the reduced / aggregated value is the result. */
  | 'passThrough';

/** The complete description of one window operator. */
export interface WindowOperatorSpec {
  readonly assigner: WindowAssigner<Window>;
  readonly trigger: Trigger<unknown, Window>;
  readonly evictor: Evictor<unknown, Window> | undefined;
  /** Event-time windows keep state this long (ms) after the watermark passed their end. */
  readonly allowedLateness: number;
  /** OutputTag id receiving elements too late for any window, or undefined to drop them. */
  readonly lateDataTag: string | undefined;
  readonly aggregation: WindowAggregation;
  readonly windowFunction: { readonly kind: WindowFunctionKind; readonly fn: unknown };
}
