/**
 * A keyed stream cut into windows (Flink's WindowedStream): `keyBy(...).window(assigner)`,
 * optionally `.trigger()`, `.evictor()`, `.allowedLateness()`, `.sideOutputLateData()`, then a
 * function producing the results of each key's windows.
 */
import { JobBuildError } from '../core/errors.js';
import type { AggregationKind, FieldExpression } from '../common/field-aggregation.js';
import type { AggregateFunction, KeySelector, ReduceFunction } from '../common/functions.js';
import type { KeyedStream } from './keyed-stream.js';
import type { OutputTag } from '../common/output-tag.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { ProcessWindowFunction, WindowFunction, WindowFunctionObject } from '../common/window-functions.js';
import type { Evictor } from '../common/windowing/evictors.js';
import type { Trigger } from '../common/windowing/triggers.js';
import type { WindowAssigner } from '../common/windowing/window-assigners.js';
import type { WindowAggregation, WindowFunctionKind } from '../common/windowing/window-operator-spec.js';
import { aggregateAggregation, fieldAggregation, reduceAggregation, windowFunctionKind, WindowStreamBuilder } from './windowing/window-stream-builder.js';
import type { TimeWindow, Window } from '../common/windowing/windows.js';
import { WindowFieldAggregations } from './windowing/window-field-aggregations.js';

/** The windows of a keyed stream. */
export class WindowedStream<T, K, W extends Window = TimeWindow> extends WindowFieldAggregations<T> {
  private readonly builder: WindowStreamBuilder;

  /** @internal created by `KeyedStream.window()`. */
  constructor(
    private readonly input: KeyedStream<T, K>,
    assigner: WindowAssigner<W>,
  ) {
    super();
    this.builder = new WindowStreamBuilder(assigner as unknown as WindowAssigner<Window>, 'Window');
  }

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W> | Trigger<unknown, Window>): this {
    this.builder.setTrigger(trigger);
    return this;
  }

  /** Removes elements from a firing window before and/or after the function runs. */
  evictor(evictor: Evictor<T, W> | Evictor<unknown, Window>): this {
    this.builder.setEvictor(evictor);
    return this;
  }

  /** Keeps event-time windows (and fires them again for late elements) this long after their end. */
  allowedLateness(ms: number): this {
    this.builder.setAllowedLateness(ms);
    return this;
  }

  /** Sends elements too late for every window to the side output `tag` instead of dropping them. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.builder.setLateDataTag(tag);
    return this;
  }

  /** Reduces each window incrementally; `windowFn` (optional) receives the reduced value. */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<R>(fn: ReduceFunction<T>, windowFn: ProcessWindowFunction<T, R, K, W> | WindowFunctionObject<T, R, K, W>): SingleOutputStreamOperator<R>;
  reduce<R>(fn: ReduceFunction<T>, windowFn?: ProcessWindowFunction<T, R, K, W> | WindowFunctionObject<T, R, K, W>): SingleOutputStreamOperator<R> {
    return this.build(reduceAggregation(fn), windowFn, 'reduce', 'Reduce');
  }

  /** Aggregates each window incrementally; `windowFn` (optional) receives `getResult(acc)`. */
  aggregate<ACC, V>(agg: AggregateFunction<T, ACC, V>): SingleOutputStreamOperator<V>;
  aggregate<ACC, V, R>(
    agg: AggregateFunction<T, ACC, V>,
    windowFn: ProcessWindowFunction<V, R, K, W> | WindowFunctionObject<V, R, K, W>,
  ): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(
    agg: AggregateFunction<T, ACC, V>,
    windowFn?: ProcessWindowFunction<V, R, K, W> | WindowFunctionObject<V, R, K, W>,
  ): SingleOutputStreamOperator<R> {
    return this.build(aggregateAggregation(agg), windowFn, 'aggregate', 'Aggregate');
  }

  /** Emits results from all elements of each window: `(key, ctx, elements, out)` or `{ process }`. */
  process<R>(fn: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<R> {
    const kind = windowFunctionKind('process', fn, false);
    if (kind !== 'process') throw new JobBuildError('process() expects a ProcessWindowFunction (a function or an object with process())');
    return this.finish({ kind: 'list' }, { kind, fn }, 'ProcessWindowFunction');
  }

  /** Emits results from all elements of each window: `(key, window, input, out)` or `{ apply }`. */
  apply<R>(fn: WindowFunction<T, R, K, W>): SingleOutputStreamOperator<R> {
    if (typeof fn !== 'function' && typeof (fn as { apply?: unknown } | null)?.apply !== 'function') {
      throw new JobBuildError('apply() expects a WindowFunction (a function or an object with apply())');
    }
    return this.finish({ kind: 'list' }, { kind: 'apply', fn }, 'WindowFunction');
  }

  protected fieldAggregate(kind: AggregationKind, field: FieldExpression | undefined, first?: boolean): SingleOutputStreamOperator<T> {
    const { aggregation, label } = fieldAggregation(kind, field, first);
    return this.build(aggregation, undefined, kind, label);
  }

  private build<R>(aggregation: WindowAggregation, windowFn: unknown, api: string, label: string): SingleOutputStreamOperator<R> {
    if (windowFn === undefined) return this.finish(aggregation, { kind: 'passThrough', fn: undefined }, label);
    const kind = windowFunctionKind(api, windowFn, false);
    return this.finish(aggregation, { kind, fn: windowFn }, `${label}, ${kind === 'apply' ? 'WindowFunction' : 'ProcessWindowFunction'}`);
  }

  private finish<R>(aggregation: WindowAggregation, windowFunction: { kind: WindowFunctionKind; fn: unknown }, label: string): SingleOutputStreamOperator<R> {
    const keySelector = this.input.getKeySelector() as KeySelector<unknown, unknown>;
    const spec = this.builder.nodeSpec(aggregation, windowFunction, keySelector, label);
    const node = this.input.context.graph.addNode(spec, [this.input.nodeId]);
    return this.input.context.operatorStream<R>(node);
  }
}
