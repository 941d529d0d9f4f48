/**
 * A stream partitioned by key (Flink's KeyedStream). Operators reading it are keyed: their
 * functions may use keyed state and timers, scoped to the key of the current record.
 */
import { JobBuildError } from '../core/errors.js';
import { DataStream } from './data-stream.js';
import { checkFieldExpression, type AggregationKind, type FieldExpression } from '../common/field-aggregation.js';
import { requireFunctionOrMethod, requireMethod } from './function-checks.js';
import type { KeyedProcessFunction, KeySelector, ProcessFunction, ReduceFunction } from '../common/functions.js';
import { IntervalJoin } from './join-interval.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { StreamContext } from './stream-context.js';
import { WindowedStream } from './windowed-stream.js';
import { CountEvictor } from '../common/windowing/evictors.js';
import { CountTrigger, PurgingTrigger } from '../common/windowing/triggers.js';
import { GlobalWindows, type WindowAssigner } from '../common/windowing/window-assigners.js';
import type { GlobalWindow, Window } from '../common/windowing/windows.js';

export type { AggregationKind, FieldExpression } from '../common/field-aggregation.js';

/** A stream partitioned by the key `K` of its records. */
export class KeyedStream<T, K> extends DataStream<T> {
  /** @internal created by `keyBy`. */
  constructor(
    context: StreamContext,
    nodeId: number,
    private readonly keySelector: KeySelector<T, K>,
  ) {
    super(context, nodeId);
  }

  /** The function extracting the key of a record. */
  getKeySelector(): KeySelector<T, K> {
    return this.keySelector;
  }

  protected override stateKeySelector(): KeySelector<unknown, unknown> {
    return this.keySelector as KeySelector<unknown, unknown>;
  }

  /** Folds the records of each key, emitting the running result after every record. */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T> {
    requireFunctionOrMethod('reduce', fn, 'reduce');
    return this.addOperator<T>({ kind: 'keyedReduce', name: 'Keyed Reduce', userFunction: fn });
  }

  /** Processes the records of each key with keyed state and timers. */
  override process<R>(fn: KeyedProcessFunction<K, T, R> | ProcessFunction<T, R>): SingleOutputStreamOperator<R> {
    requireMethod('process', fn, 'processElement', 'a KeyedProcessFunction');
    return this.addOperator<R>({ kind: 'keyedProcess', name: 'KeyedProcess', userFunction: fn });
  }

  /**
   * Joins this stream with `other` by key over a time interval (event time):
   * `intervalJoin(other).between(lowerMs, upperMs).process(fn)`.
   */
  intervalJoin<T2>(other: KeyedStream<T2, K>): IntervalJoin<T, T2, K> {
    if (!(other instanceof KeyedStream)) throw new JobBuildError('intervalJoin() expects a KeyedStream: apply keyBy() to the other stream first');
    return new IntervalJoin<T, T2, K>(this, other);
  }

  /** Cuts each key's records into windows: `window(TumblingEventTimeWindows.of(ms))`, then a window function. */
  window<W extends Window>(assigner: WindowAssigner<W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner);
  }

  /**
   * Count windows per key: every `size` records of a key (tumbling), or with `slide` the last
   * `size` records every `slide` records (GlobalWindows with count trigger and evictor, as in Flink).
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    const windowed = this.window(GlobalWindows.create());
    if (slide === undefined) return windowed.trigger(PurgingTrigger.of(CountTrigger.of(size)));
    return windowed.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  private aggregate(aggregation: AggregationKind, field: FieldExpression | undefined, first = true): SingleOutputStreamOperator<T> {
    checkFieldExpression(aggregation, field);
    if (typeof first !== 'boolean') throw new JobBuildError(`${aggregation}() expects a boolean "first", got ${String(first)}`);
    // `first` is recorded only when it differs from Flink's default, so existing operators keep their settings.
    const settings: Record<string, unknown> = { aggregation, field: field ?? null };
    if (!first) settings['first'] = false;
    return this.addOperator<T>({ kind: 'keyedAggregation', name: 'Keyed Aggregation', settings });
  }

  /** Rolling sum of `field` per key (the record itself when no field is given). */
  sum(field?: FieldExpression): SingleOutputStreamOperator<T> {
    return this.aggregate('sum', field);
  }

  /** Rolling minimum of `field` per key; other fields keep the first record's values. */
  min(field?: FieldExpression): SingleOutputStreamOperator<T> {
    return this.aggregate('min', field);
  }

  /** Rolling maximum of `field` per key; other fields keep the first record's values. */
  max(field?: FieldExpression): SingleOutputStreamOperator<T> {
    return this.aggregate('max', field);
  }

  /** The record with the smallest `field` per key; on ties the earlier one unless `first` is false. */
  minBy(field?: FieldExpression, first = true): SingleOutputStreamOperator<T> {
    return this.aggregate('minBy', field, first);
  }

  /** The record with the largest `field` per key; on ties the earlier one unless `first` is false. */
  maxBy(field?: FieldExpression, first = true): SingleOutputStreamOperator<T> {
    return this.aggregate('maxBy', field, first);
  }
}
