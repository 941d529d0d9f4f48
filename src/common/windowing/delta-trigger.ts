/**
 * Flink's `DeltaTrigger`: fires when the delta between the element that last fired (or the
 * window's first element) and the current one exceeds a threshold.
 */
import type { ValueState } from '../runtime-context.js';
import { type StateTypeHint, ValueStateDescriptor } from '../state-descriptors.js';
import { checkThreshold, type DeltaFunction, deltaOf } from './delta-function.js';
import { Trigger, type TriggerContext, type TriggerResult } from './triggers.js';
import type { Window } from './windows.js';

/** Fires when `delta(last, element) > threshold`; the element that fired becomes the new reference. */
export class DeltaTrigger<T, W extends Window = Window> extends Trigger<T, W> {
  private readonly delta: (oldDataPoint: T, newDataPoint: T) => number;
  private readonly lastElement: ValueStateDescriptor<T>;

  private constructor(
    readonly threshold: number,
    deltaFunction: DeltaFunction<T>,
    type: StateTypeHint<T> | undefined,
  ) {
    super();
    checkThreshold('DeltaTrigger', threshold);
    this.delta = deltaOf('DeltaTrigger', deltaFunction);
    // Flink passes the element serializer here; a class names the element type of the stored reference.
    this.lastElement = type ? new ValueStateDescriptor<T>('last-element', type) : new ValueStateDescriptor<T>('last-element');
  }

  /**
   * A trigger firing when the delta exceeds `threshold`. Where Flink takes the element's
   * `TypeSerializer`, `type` names the element class (needed when elements are class instances).
   */
  static of<T, W extends Window = Window>(threshold: number, deltaFunction: DeltaFunction<T>, type?: StateTypeHint<T>): DeltaTrigger<T, W> {
    return new DeltaTrigger<T, W>(threshold, deltaFunction, type);
  }

  onElement(element: T, _ts: number, _w: W, ctx: TriggerContext): TriggerResult {
    const last = ctx.getPartitionedState<ValueState<T>>(this.lastElement);
    const previous = last.value();
    if (previous === undefined || previous === null) {
      last.update(element);
      return 'CONTINUE';
    }
    if (this.delta(previous, element) > this.threshold) {
      last.update(element);
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
  clear(_w: W, ctx: TriggerContext): void {
    ctx.getPartitionedState<ValueState<T>>(this.lastElement).clear();
  }
}
