/**
 * Window join (Flink's JoinedStreams): an inner join of two streams per key and window, built
 * as Flink builds it — a window co-group whose function pairs every element of the first side
 * with every element of the second.
 *
 * `a.join(b).where(ka).equalTo(kb).window(TumblingEventTimeWindows.of(1000)).apply((x, y) => …)`
 */
import { coGroupWindows, UserFunctionWrapper, WithWindow } from './co-grouped-streams.js';
import type { DataStream } from './data-stream.js';
import { requireFunctionOrMethod } from './function-checks.js';
import type { Collector, KeySelector } from '../common/functions.js';
import type { CoGroupFunction, FlatJoinFunction, JoinFunction } from '../common/join-functions.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { Evictor } from '../common/windowing/evictors.js';
import type { Trigger } from '../common/windowing/triggers.js';
import type { WindowAssigner } from '../common/windowing/window-assigners.js';
import type { Window } from '../common/windowing/windows.js';

/**
 * The co-group function of a join: the cross product of both sides through the user's join
 * function. A join function with three parameters `(first, second, out)` is a FlatJoinFunction.
 */
class JoinCoGroupFunction<T1, T2, OUT> extends UserFunctionWrapper {
  private readonly call: (first: T1, second: T2, out: Collector<OUT>) => void;

  constructor(fn: JoinFunction<T1, T2, OUT> | FlatJoinFunction<T1, T2, OUT>) {
    super(fn);
    const join = (typeof fn === 'function' ? fn : fn.join.bind(fn)) as (a: T1, b: T2, out?: Collector<OUT>) => OUT | void;
    const arity = typeof fn === 'function' ? fn.length : fn.join.length;
    this.call = arity >= 3 ? (a, b, out) => void join(a, b, out) : (a, b, out) => out.collect(join(a, b) as OUT);
  }

  coGroup(first: Iterable<T1>, second: Iterable<T2>, out: Collector<OUT>): void {
    const seconds = [...second];
    for (const a of first) for (const b of seconds) this.call(a, b, out);
  }
}

/** Two streams to join; choose the first stream's key with {@link where}. */
export class JoinedStreams<T1, T2> {
  /** @internal created by `DataStream.join`. */
  constructor(
    private readonly input1: DataStream<T1>,
    private readonly input2: DataStream<T2>,
  ) {}

  /** The key of the first stream's elements. */
  where<K>(keySelector: KeySelector<T1, K>): { equalTo(keySelector: KeySelector<T2, K>): JoinWithWindowAssigner<T1, T2, K> } {
    requireFunctionOrMethod('join().where', keySelector, 'getKey');
    return {
      equalTo: (keySelector2: KeySelector<T2, K>) => {
        requireFunctionOrMethod('join().equalTo', keySelector2, 'getKey');
        return new JoinWithWindowAssigner<T1, T2, K>(this.input1, this.input2, keySelector, keySelector2);
      },
    };
  }
}

/** A join with both keys; choose the windows with {@link window}. */
export class JoinWithWindowAssigner<T1, T2, K> {
  /** @internal */
  constructor(
    private readonly input1: DataStream<T1>,
    private readonly input2: DataStream<T2>,
    private readonly key1: KeySelector<T1, K>,
    private readonly key2: KeySelector<T2, K>,
  ) {}

  /** The windows both inputs are cut into. */
  window<W extends Window>(assigner: WindowAssigner<W>): JoinWithWindow<T1, T2, K> {
    return new JoinWithWindow<T1, T2, K>(new WithWindow<T1, T2, K>(this.input1, this.input2, this.key1, this.key2, assigner as unknown as WindowAssigner<Window>, 'Join'));
  }
}

/** A windowed join: optional trigger, evictor and lateness, then the join function. */
export class JoinWithWindow<T1, T2, K> {
  /** @internal */
  constructor(private readonly windowed: WithWindow<T1, T2, K>) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<unknown, Window>): this {
    this.windowed.trigger(trigger);
    return this;
  }

  /** Removes elements from a firing window before and/or after the join runs. */
  evictor(evictor: Evictor<unknown, Window>): this {
    this.windowed.evictor(evictor);
    return this;
  }

  /** Keeps windows this long after their end and fires them again for late elements. */
  allowedLateness(ms: number): this {
    this.windowed.allowedLateness(ms);
    return this;
  }

  /**
   * Joins every pair of elements with equal keys in the same window: `(first, second) => result`
   * (JoinFunction), or `(first, second, out) => …` emitting any number of results (FlatJoinFunction).
   */
  apply<OUT>(fn: JoinFunction<T1, T2, OUT> | FlatJoinFunction<T1, T2, OUT>): SingleOutputStreamOperator<OUT> {
    requireFunctionOrMethod('join().apply', fn, 'join');
    const w = this.windowed;
    const coGroup = new JoinCoGroupFunction<T1, T2, OUT>(fn) as CoGroupFunction<T1, T2, OUT>;
    return coGroupWindows<T1, T2, K, OUT>(w.input1, w.input2, w.key1, w.key2, w.assigner, w.windowOptions(), coGroup, 'Join');
  }
}
