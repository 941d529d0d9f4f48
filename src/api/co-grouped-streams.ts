/**
 * Window co-group (Flink's CoGroupedStreams), built the way Flink builds it: both inputs are
 * tagged with the side they come from, unioned, keyed by their side's key selector, cut into
 * windows, and each key's window is split back into the two sides for the CoGroupFunction.
 *
 * `a.coGroup(b).where(ka).equalTo(kb).window(TumblingEventTimeWindows.of(1000)).apply(fn)`
 */
import { JobBuildError } from '../core/errors.js';
import type { DataStream } from './data-stream.js';
import { requireFunctionOrMethod } from './function-checks.js';
import { AbstractRichFunction, type Collector, type KeySelector, type RichFunction } from '../common/functions.js';
import type { CoGroupFunction } from '../common/join-functions.js';
import type { OpenParameters } from '../common/configuration.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';
import type { Evictor } from '../common/windowing/evictors.js';
import type { Trigger } from '../common/windowing/triggers.js';
import type { WindowAssigner } from '../common/windowing/window-assigners.js';
import type { Window } from '../common/windowing/windows.js';

/** An element of either input, tagged with its side (Flink's TaggedUnion). */
export interface TaggedUnion<T1, T2> {
  /** 1 for the first input, 2 for the second. */
  readonly input: 1 | 2;
  readonly value: T1 | T2;
}

/** Calls a key selector given as a lambda or as `{ getKey }`. */
function keyOf<T, K>(selector: KeySelector<T, K>, value: T): K {
  return typeof selector === 'function' ? selector(value) : selector.getKey(value);
}

/**
 * @internal Base of the functions the API wraps around a user function: forwards `open`/`close`
 * and, to a rich user function, the runtime context the runtime gave the wrapper.
 */
export abstract class UserFunctionWrapper {
  /** Set by the runtime before `open` (the field's presence asks for it); handed on to the wrapped function. */
  __runtimeContext: unknown = undefined;

  constructor(private readonly fn: unknown) {}

  open(ctx: OpenParameters): void | Promise<void> {
    const fn = this.fn as RichFunction & { __runtimeContext?: unknown };
    // Wrappers nest (a join is a co-group of a wrapper): pass the context to rich functions and inner wrappers alike.
    if (fn instanceof AbstractRichFunction || fn instanceof UserFunctionWrapper) fn.__runtimeContext = this.__runtimeContext as never;
    return typeof fn === 'object' ? fn.open?.(ctx) : undefined;
  }

  close(): void | Promise<void> {
    const fn = this.fn as RichFunction;
    return typeof fn === 'object' ? fn.close?.() : undefined;
  }
}

/**
 * The window function of a co-group: splits a window's tagged elements into both sides and
 * hands them to the user's function. Forwards `open`/`close` and the runtime context, so a
 * rich user function keeps its lifecycle.
 */
class CoGroupWindowFunction<T1, T2, OUT> extends UserFunctionWrapper {
  private readonly call: (first: Iterable<T1>, second: Iterable<T2>, out: Collector<OUT>) => void;

  constructor(fn: CoGroupFunction<T1, T2, OUT>) {
    super(fn);
    this.call = typeof fn === 'function' ? fn : fn.coGroup.bind(fn);
  }

  apply(_key: unknown, _window: Window, input: Iterable<TaggedUnion<T1, T2>>, out: Collector<OUT>): void {
    const first: T1[] = [];
    const second: T2[] = [];
    for (const e of input) {
      if (e.input === 1) first.push(e.value as T1);
      else second.push(e.value as T2);
    }
    this.call(first, second, out);
  }
}

/** Options collected between `window(...)` and `apply(...)`. */
interface WindowOptions {
  trigger?: Trigger<unknown, Window>;
  evictor?: Evictor<unknown, Window>;
  allowedLateness?: number;
}

/**
 * Tags, unions, keys and windows both inputs, then applies `fn` to every key's window split
 * into both sides. Shared by co-group and window join.
 */
export function coGroupWindows<T1, T2, K, OUT>(
  input1: DataStream<T1>,
  input2: DataStream<T2>,
  keySelector1: KeySelector<T1, K>,
  keySelector2: KeySelector<T2, K>,
  assigner: WindowAssigner<Window>,
  options: WindowOptions,
  fn: CoGroupFunction<T1, T2, OUT>,
  name: string,
): SingleOutputStreamOperator<OUT> {
  if (input1.context !== input2.context) {
    throw new JobBuildError(`${name}: both streams must come from the same execution environment`);
  }
  const tagged1 = input1.map((value: T1): TaggedUnion<T1, T2> => ({ input: 1, value })).name('Map (tag input 1)');
  const tagged2 = input2.map((value: T2): TaggedUnion<T1, T2> => ({ input: 2, value })).name('Map (tag input 2)');
  const windowed = tagged1
    .union(tagged2)
    .keyBy((u: TaggedUnion<T1, T2>) => (u.input === 1 ? keyOf(keySelector1, u.value as T1) : keyOf(keySelector2, u.value as T2)))
    .window(assigner);
  if (options.trigger) windowed.trigger(options.trigger);
  if (options.evictor) windowed.evictor(options.evictor);
  if (options.allowedLateness !== undefined) windowed.allowedLateness(options.allowedLateness);
  return windowed.apply<OUT>(new CoGroupWindowFunction<T1, T2, OUT>(fn)).name(name);
}

/** Two streams to co-group; choose the first stream's key with {@link where}. */
export class CoGroupedStreams<T1, T2> {
  /** @internal created by `DataStream.coGroup`. */
  constructor(
    private readonly input1: DataStream<T1>,
    private readonly input2: DataStream<T2>,
  ) {}

  /** The key of the first stream's elements. */
  where<K>(keySelector: KeySelector<T1, K>): { equalTo(keySelector: KeySelector<T2, K>): CoGroupWithWindowAssigner<T1, T2, K> } {
    requireFunctionOrMethod('coGroup().where', keySelector, 'getKey');
    return {
      equalTo: (keySelector2: KeySelector<T2, K>) => {
        requireFunctionOrMethod('coGroup().equalTo', keySelector2, 'getKey');
        return new CoGroupWithWindowAssigner<T1, T2, K>(this.input1, this.input2, keySelector, keySelector2);
      },
    };
  }
}

/** A co-group with both keys; choose the windows with {@link window}. */
export class CoGroupWithWindowAssigner<T1, T2, K> {
  /** @internal */
  constructor(
    private readonly input1: DataStream<T1>,
    private readonly input2: DataStream<T2>,
    private readonly key1: KeySelector<T1, K>,
    private readonly key2: KeySelector<T2, K>,
  ) {}

  /** The windows both inputs are cut into. */
  window<W extends Window>(assigner: WindowAssigner<W>): WithWindow<T1, T2, K> {
    return new WithWindow<T1, T2, K>(this.input1, this.input2, this.key1, this.key2, assigner as unknown as WindowAssigner<Window>, 'CoGroup');
  }
}

/** A windowed co-group or join: optional trigger, evictor and lateness, then the function. */
export class WithWindow<T1, T2, K> {
  private readonly options: WindowOptions = {};

  /** @internal */
  constructor(
    /** @internal */ readonly input1: DataStream<T1>,
    /** @internal */ readonly input2: DataStream<T2>,
    /** @internal */ readonly key1: KeySelector<T1, K>,
    /** @internal */ readonly key2: KeySelector<T2, K>,
    /** @internal */ readonly assigner: WindowAssigner<Window>,
    private readonly label: string,
  ) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<unknown, Window>): this {
    this.options.trigger = trigger;
    return this;
  }

  /** Removes elements from a firing window before and/or after the function runs. */
  evictor(evictor: Evictor<unknown, Window>): this {
    this.options.evictor = evictor;
    return this;
  }

  /** Keeps windows this long after their end and fires them again for late elements. */
  allowedLateness(ms: number): this {
    this.options.allowedLateness = ms;
    return this;
  }

  /** Applies `fn` to every key's window: the elements of both inputs (either may be empty). */
  apply<OUT>(fn: CoGroupFunction<T1, T2, OUT>): SingleOutputStreamOperator<OUT> {
    requireFunctionOrMethod(`${this.label.toLowerCase()}().apply`, fn, 'coGroup');
    return coGroupWindows<T1, T2, K, OUT>(this.input1, this.input2, this.key1, this.key2, this.assigner, this.options, fn, this.label);
  }

  /** @internal the window options, for joins built on top. */
  windowOptions(): WindowOptions {
    return { ...this.options };
  }
}
