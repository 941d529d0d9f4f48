/**
 * Triggers decide when a window's contents are emitted (Flink's Trigger API). They run inside
 * the window operator, scoped to one key and one window, and keep their own state through
 * `ctx.getPartitionedState`.
 */
import type { ReducingState, ValueState } from '../runtime-context.js';
import { ReducingStateDescriptor, type StateDescriptor, ValueStateDescriptor } from '../state-descriptors.js';
import type { Window } from './windows.js';
import { InvalidArgumentError, UnsupportedOperationError } from '../../core/errors.js';

/** What a trigger decides for a window. */
export type TriggerResult = 'CONTINUE' | 'FIRE' | 'PURGE' | 'FIRE_AND_PURGE';

/** `TriggerResult.FIRE`, as Flink's custom triggers return it. */
export const TriggerResult = {
  CONTINUE: 'CONTINUE',
  FIRE: 'FIRE',
  PURGE: 'PURGE',
  FIRE_AND_PURGE: 'FIRE_AND_PURGE',
} as const satisfies Record<TriggerResult, TriggerResult>;

/** What a trigger may do, scoped to the current key and window. */
export interface TriggerContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
  registerProcessingTimeTimer(time: number): void;
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** State of this trigger for the current key and window. */
  getPartitionedState<S>(descriptor: StateDescriptor<unknown>): S;
}

/** Extra context while windows merge: state of the merged windows is folded into the result. */
export interface OnMergeContext extends TriggerContext {
  mergePartitionedState(descriptor: StateDescriptor<unknown>): void;
}

/** Decides when windows fire. */
export abstract class Trigger<T = unknown, W extends Window = Window> {
  abstract onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  abstract onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  abstract onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Removes the trigger's timers and state of `window`. */
  abstract clear(window: W, ctx: TriggerContext): void;
  /** Whether this trigger supports merging windows (sessions). */
  canMerge(): boolean {
    return false;
  }
  onMerge(_window: W, _ctx: OnMergeContext): void {
    throw new UnsupportedOperationError(`${this.constructor.name} does not support merging windows`);
  }
}

/** Fires once the watermark passes the window's end (the default of event-time windows). */
export class EventTimeTrigger extends Trigger<unknown, Window> {
  static create(): EventTimeTrigger {
    return new EventTimeTrigger();
  }
  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE'; // late but allowed
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? 'FIRE' : 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires when processing time passes the window's end. */
export class ProcessingTimeTrigger extends Trigger<unknown, Window> {
  static create(): ProcessingTimeTrigger {
    return new ProcessingTimeTrigger();
  }
  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'FIRE';
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }
}

/** Fires every `count` elements. */
export class CountTrigger extends Trigger<unknown, Window> {
  private readonly descriptor = new ReducingStateDescriptor<number>('count', (a, b) => a + b);

  private constructor(readonly maxCount: number) {
    super();
    if (!(maxCount > 0)) throw new InvalidArgumentError(`count must be positive, got ${maxCount}`);
  }

  static of(count: number): CountTrigger {
    return new CountTrigger(count);
  }
  onElement(_e: unknown, _ts: number, _w: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState<ReducingState<number>>(this.descriptor);
    count.add(1);
    if ((count.get() ?? 0) >= this.maxCount) {
      count.clear();
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  clear(_w: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState<ReducingState<number>>(this.descriptor).clear();
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.descriptor);
  }
}

/** Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE. */
export class PurgingTrigger<T, W extends Window> extends Trigger<T, W> {
  private constructor(readonly nested: Trigger<T, W>) {
    super();
  }
  static of<T, W extends Window>(nested: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(nested);
  }
  private static purge(r: TriggerResult): TriggerResult {
    return r === 'FIRE' ? 'FIRE_AND_PURGE' : r;
  }
  onElement(e: T, ts: number, w: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purge(this.nested.onElement(e, ts, w, ctx));
  }
  onEventTime(t: number, w: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purge(this.nested.onEventTime(t, w, ctx));
  }
  onProcessingTime(t: number, w: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purge(this.nested.onProcessingTime(t, w, ctx));
  }
  clear(w: W, ctx: TriggerContext): void {
    this.nested.clear(w, ctx);
  }
  override canMerge(): boolean {
    return this.nested.canMerge();
  }
  override onMerge(w: W, ctx: OnMergeContext): void {
    this.nested.onMerge(w, ctx);
  }
}

/** Never fires (the default of global windows: set a trigger). */
export class NeverTrigger extends Trigger<unknown, Window> {
  static create(): NeverTrigger {
    return new NeverTrigger();
  }
  onElement(): TriggerResult {
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  clear(): void {}
  override canMerge(): boolean {
    return true;
  }
  override onMerge(): void {}
}

/** Fires on event time at most every `interval` ms while the window is open, and at its end. */
export class ContinuousEventTimeTrigger extends Trigger<unknown, Window> {
  private readonly nextFire = new ValueStateDescriptor<number>('continuous-fire-time');

  private constructor(readonly interval: number) {
    super();
  }
  static of(interval: number): ContinuousEventTimeTrigger {
    return new ContinuousEventTimeTrigger(interval);
  }
  onElement(_e: unknown, timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const state = ctx.getPartitionedState<ValueState<number>>(this.nextFire);
    if (state.value() === undefined) {
      const start = timestamp - (timestamp % this.interval);
      const next = Math.min(start + this.interval, window.maxTimestamp());
      state.update(next);
      ctx.registerEventTimeTimer(next);
    }
    return 'CONTINUE';
  }
  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return 'FIRE';
    const state = ctx.getPartitionedState<ValueState<number>>(this.nextFire);
    if (state.value() === time) {
      const next = Math.min(time + this.interval, window.maxTimestamp());
      state.update(next);
      ctx.registerEventTimeTimer(next);
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  clear(window: Window, ctx: TriggerContext): void {
    const state = ctx.getPartitionedState<ValueState<number>>(this.nextFire);
    const t = state.value();
    if (t !== undefined) ctx.deleteEventTimeTimer(t);
    state.clear();
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}
