/**
 * The windows of a whole (non-keyed) stream (Flink's AllWindowedStream): `stream.windowAll(assigner)`.
 * As in Flink, every record goes to one window operator with parallelism 1 (the stream is
 * keyed by a constant), so its windows hold all records of the stream.
 */
import { JobBuildError } from '../core/errors.js';
import type { AggregationKind, FieldExpression } from '../common/field-aggregation.js';
import type { AggregateFunction, KeySelector, ReduceFunction } from '../common/functions.js';
import type { KeyedStream } from './keyed-stream.js';
import type { OutputTag } from '../common/output-tag.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { AllWindowFunction, AllWindowFunctionObject, ProcessAllWindowFunction } from '../common/window-functions.js';
import type { Evictor } from '../common/windowing/evictors.js';
import type { Trigger } from '../common/windowing/triggers.js';
import type { WindowAssigner } from '../common/windowing/window-assigners.js';
import type { WindowAggregation, WindowFunctionKind } from '../common/windowing/window-operator-spec.js';
import { aggregateAggregation, fieldAggregation, reduceAggregation, windowFunctionKind, WindowStreamBuilder } from './windowing/window-stream-builder.js';
import type { TimeWindow, Window } from '../common/windowing/windows.js';
import { WindowFieldAggregations } from './windowing/window-field-aggregations.js';

/** The key every record of a `windowAll` stream gets. */
export const ALL_WINDOW_KEY: KeySelector<unknown, number> = () => 0;

/** The windows of a non-keyed stream. */
export class AllWindowedStream<T, W extends Window = TimeWindow> extends WindowFieldAggregations<T> {
  private readonly builder: WindowStreamBuilder;

  /** @internal created by `DataStream.windowAll()` over the stream keyed by {@link ALL_WINDOW_KEY}. */
  constructor(
    private readonly input: KeyedStream<T, number>,
    assigner: WindowAssigner<W>,
  ) {
    super();
    this.builder = new WindowStreamBuilder(assigner as unknown as WindowAssigner<Window>, 'AllWindow');
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

  /** Keeps event-time windows this long after their end. */
  allowedLateness(ms: number): this {
    this.builder.setAllowedLateness(ms);
    return this;
  }

  /** Sends elements too late for every window to the side output `tag`. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.builder.setLateDataTag(tag);
    return this;
  }

  /** Reduces each window incrementally; `windowFn` (optional) receives the reduced value. */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<R>(fn: ReduceFunction<T>, windowFn: ProcessAllWindowFunction<T, R, W> | AllWindowFunctionObject<T, R, W>): SingleOutputStreamOperator<R>;
  reduce<R>(fn: ReduceFunction<T>, windowFn?: ProcessAllWindowFunction<T, R, W> | AllWindowFunctionObject<T, R, W>): SingleOutputStreamOperator<R> {
    return this.build(reduceAggregation(fn), windowFn, 'reduce', 'Reduce');
  }

  /** Aggregates each window incrementally; `windowFn` (optional) receives `getResult(acc)`. */
  aggregate<ACC, V>(agg: AggregateFunction<T, ACC, V>): SingleOutputStreamOperator<V>;
  aggregate<ACC, V, R>(agg: AggregateFunction<T, ACC, V>, windowFn: ProcessAllWindowFunction<V, R, W> | AllWindowFunctionObject<V, R, W>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(
    agg: AggregateFunction<T, ACC, V>,
    windowFn?: ProcessAllWindowFunction<V, R, W> | AllWindowFunctionObject<V, R, W>,
  ): SingleOutputStreamOperator<R> {
    return this.build(aggregateAggregation(agg), windowFn, 'aggregate', 'Aggregate');
  }

  /** Emits results from all elements of each window: `(ctx, elements, out)` or `{ process }`. */
  process<R>(fn: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<R> {
    const kind = windowFunctionKind('process', fn, true);
    if (kind !== 'processAll') throw new JobBuildError('process() expects a ProcessAllWindowFunction (a function or an object with process())');
    return this.finish({ kind: 'list' }, { kind, fn }, 'ProcessAllWindowFunction');
  }

  /** Emits results from all elements of each window: `(window, input, out)` or `{ apply }`. */
  apply<R>(fn: AllWindowFunction<T, R, W>): SingleOutputStreamOperator<R> {
    if (typeof fn !== 'function' && typeof (fn as { apply?: unknown } | null)?.apply !== 'function') {
      throw new JobBuildError('apply() expects an AllWindowFunction (a function or an object with apply())');
    }
    return this.finish({ kind: 'list' }, { kind: 'applyAll', fn }, 'AllWindowFunction');
  }

  protected fieldAggregate(kind: AggregationKind, field: FieldExpression | undefined, first?: boolean): SingleOutputStreamOperator<T> {
    const { aggregation, label } = fieldAggregation(kind, field, first);
    return this.build(aggregation, undefined, kind, label);
  }

  private build<R>(aggregation: WindowAggregation, windowFn: unknown, api: string, label: string): SingleOutputStreamOperator<R> {
    if (windowFn === undefined) return this.finish(aggregation, { kind: 'passThrough', fn: undefined }, label);
    const kind = windowFunctionKind(api, windowFn, true);
    return this.finish(aggregation, { kind, fn: windowFn }, `${label}, ${kind === 'applyAll' ? 'AllWindowFunction' : 'ProcessAllWindowFunction'}`);
  }

  private finish<R>(aggregation: WindowAggregation, windowFunction: { kind: WindowFunctionKind; fn: unknown }, label: string): SingleOutputStreamOperator<R> {
    const spec = this.builder.nodeSpec(aggregation, windowFunction, ALL_WINDOW_KEY as KeySelector<unknown, unknown>, label);
    // Non-parallel, as in Flink: one subtask sees the whole stream.
    const node = this.input.context.graph.addNode({ ...spec, parallelism: 1 }, [this.input.nodeId]);
    return this.input.context.operatorStream<R>(node);
  }
}
