/**
 * Functions of two-input operators (Flink's CoMapFunction, CoFlatMapFunction,
 * CoProcessFunction, KeyedCoProcessFunction, BroadcastProcessFunction and
 * KeyedBroadcastProcessFunction). Records of the first input go to the `…1` method, records
 * of the second to the `…2` method; the runtime calls them synchronously, one record at a time.
 */
import {
  AbstractRichFunction,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type RichFunction,
  type TimerService,
} from './functions.js';
import type { OutputTag } from './output-tag.js';
import type { MapStateDescriptor, StateDescriptor } from './state-descriptors.js';

/** Maps records of either input to one output record each (`connect(...).map(...)`). */
export interface CoMapFunction<IN1, IN2, OUT> extends RichFunction {
  map1(value: IN1): OUT;
  map2(value: IN2): OUT;
}

/** Emits any number of records per record of either input (`connect(...).flatMap(...)`). */
export interface CoFlatMapFunction<IN1, IN2, OUT> extends RichFunction {
  flatMap1(value: IN1, out: Collector<OUT>): void;
  flatMap2(value: IN2, out: Collector<OUT>): void;
}

/**
 * Processes the records of two connected streams. On non-keyed connected streams timers are
 * not available (as in Flink); after `keyBy` the context is keyed and timers work.
 */
export abstract class CoProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: ProcessContext, out: Collector<OUT>): void;
  abstract processElement2(value: IN2, ctx: ProcessContext, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<never>, _out: Collector<OUT>): void {}
}

/** Processes two connected keyed streams: both inputs share the keyed state and timers of a key. */
export abstract class KeyedCoProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  abstract processElement2(value: IN2, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<OUT>): void {}
}

/** Broadcast state as the non-broadcast side sees it: read only. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  /** The entries, as a snapshot that stays valid while the state changes. */
  entries(): Iterable<[K, V]>;
  keys(): Iterable<K>;
  values(): Iterable<V>;
  isEmpty(): boolean;
}

/** Broadcast state as the broadcast side sees it: every subtask applies the same updates. */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  putAll(entries: Iterable<[K, V]>): void;
  remove(key: K): void;
  clear(): void;
}

/** What both sides of a broadcast function see. */
export interface BaseBroadcastProcessContext {
  /** The record's timestamp, or undefined when it has none. */
  timestamp(): number | undefined;
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Context of `processElement` (the non-broadcast side): broadcast state is read only. */
export interface BroadcastReadOnlyContext extends BaseBroadcastProcessContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

/** Context of `processBroadcastElement`: broadcast state is writable. */
export interface BroadcastContext extends BaseBroadcastProcessContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

/** Context of `processElement` of a KeyedBroadcastProcessFunction. */
export interface KeyedBroadcastReadOnlyContext<K> extends BroadcastReadOnlyContext {
  getCurrentKey(): K;
  timerService(): TimerService;
}

/** Context of `onTimer` of a KeyedBroadcastProcessFunction. */
export interface KeyedBroadcastOnTimerContext<K> extends KeyedBroadcastReadOnlyContext<K> {
  timeDomain(): 'EVENT_TIME' | 'PROCESSING_TIME';
}

/** Applied to the state of every key by `applyToKeyedState`; the state handle is the key's. */
export type KeyedStateFunction<K, S> = (key: K, state: S) => void;

/** Context of `processBroadcastElement` of a KeyedBroadcastProcessFunction. */
export interface KeyedBroadcastContext extends BroadcastContext {
  /**
   * Runs `fn` for every key of this subtask that has an entry in the keyed state described by
   * `descriptor`, with that key current (Flink's `applyToKeyedState`).
   */
  applyToKeyedState<K, S>(descriptor: StateDescriptor<unknown>, fn: KeyedStateFunction<K, S>): void;
}

/** Processes a non-keyed stream connected with a broadcast stream. */
export abstract class BroadcastProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: BroadcastReadOnlyContext, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
}

/** Processes a keyed stream connected with a broadcast stream: keyed state, timers, broadcast state. */
export abstract class KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: KeyedBroadcastReadOnlyContext<K>, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: KeyedBroadcastOnTimerContext<K>, _out: Collector<OUT>): void {}
}
