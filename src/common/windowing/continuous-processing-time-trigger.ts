/**
 * Flink's `ContinuousProcessingTimeTrigger`: fires a window every `interval` ms of processing
 * time (aligned to multiples of the interval), and at the window's end at the latest.
 */
import type { ReducingState } from '../runtime-context.js';
import { ReducingStateDescriptor } from '../state-descriptors.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { type OnMergeContext, Trigger, type TriggerContext, type TriggerResult } from './triggers.js';
import type { Window } from './windows.js';

/** Fires periodically on processing time while a window is open. */
export class ContinuousProcessingTimeTrigger<W extends Window = Window> extends Trigger<unknown, W> {
  /** The next fire time; merged windows keep the earliest (Flink's `Min` reducer). */
  private readonly fireTime = new ReducingStateDescriptor<number>('fire-time', (a, b) => Math.min(a, b));

  private constructor(readonly interval: number) {
    super();
    if (!(interval > 0) || !Number.isFinite(interval)) {
      throw new InvalidArgumentError(`ContinuousProcessingTimeTrigger interval must be a positive number of ms, got ${interval}`);
    }
  }

  /** Fires every `interval` ms (a number of ms, or `Time.seconds(n)`). */
  static of<W extends Window = Window>(interval: number): ContinuousProcessingTimeTrigger<W> {
    return new ContinuousProcessingTimeTrigger<W>(interval);
  }

  onElement(_e: unknown, _ts: number, window: W, ctx: TriggerContext): TriggerResult {
    const state = ctx.getPartitionedState<ReducingState<number>>(this.fireTime);
    if (state.get() === undefined) {
      const now = ctx.getCurrentProcessingTime();
      this.registerNext(now - (now % this.interval), window, ctx, state);
    }
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    const state = ctx.getPartitionedState<ReducingState<number>>(this.fireTime);
    if (state.get() === time) {
      state.clear();
      this.registerNext(time, window, ctx, state);
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  clear(_w: W, ctx: TriggerContext): void {
    const state = ctx.getPartitionedState<ReducingState<number>>(this.fireTime);
    const t = state.get();
    if (t !== undefined) {
      ctx.deleteProcessingTimeTimer(t);
      state.clear();
    }
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_w: W, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.fireTime);
    const next = ctx.getPartitionedState<ReducingState<number>>(this.fireTime).get();
    if (next !== undefined) ctx.registerProcessingTimeTimer(next);
  }

  private registerNext(time: number, window: W, ctx: TriggerContext, state: ReducingState<number>): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    state.add(next);
    ctx.registerProcessingTimeTimer(next);
  }
}
