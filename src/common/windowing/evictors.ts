/**
 * Evictors remove elements from a window before and/or after the window function runs.
 */
import type { Window } from './windows.js';
import { checkThreshold, type DeltaFunction, deltaOf } from './delta-function.js';

/** An element of a window with its timestamp. */
export interface TimestampedValue<T> {
  value: T;
  timestamp: number;
}

/** What an evictor may ask. */
export interface EvictorContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
}

/** Removes elements from a firing window; `elements` is edited in place. */
export abstract class Evictor<T = unknown, W extends Window = Window> {
  abstract evictBefore(elements: TimestampedValue<T>[], window: W, ctx: EvictorContext): void;
  abstract evictAfter(elements: TimestampedValue<T>[], window: W, ctx: EvictorContext): void;
}

/** Keeps at most `maxCount` elements: the most recent ones. */
export class CountEvictor<T> extends Evictor<T> {
  private constructor(
    readonly maxCount: number,
    readonly doEvictAfter: boolean,
  ) {
    super();
  }
  static of<T>(maxCount: number, doEvictAfter = false): CountEvictor<T> {
    return new CountEvictor(maxCount, doEvictAfter);
  }
  evictBefore(elements: TimestampedValue<T>[]): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[]): void {
    if (this.doEvictAfter) this.evict(elements);
  }
  private evict(elements: TimestampedValue<T>[]): void {
    if (elements.length > this.maxCount) elements.splice(0, elements.length - this.maxCount);
  }
}

/** Keeps elements whose timestamp is within `windowSize` of the newest element. */
export class TimeEvictor<T> extends Evictor<T> {
  private constructor(
    readonly windowSize: number,
    readonly doEvictAfter: boolean,
  ) {
    super();
  }
  static of<T>(windowSize: number, doEvictAfter = false): TimeEvictor<T> {
    return new TimeEvictor(windowSize, doEvictAfter);
  }
  evictBefore(elements: TimestampedValue<T>[]): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[]): void {
    if (this.doEvictAfter) this.evict(elements);
  }
  private evict(elements: TimestampedValue<T>[]): void {
    if (elements.length === 0 || !elements.some((e) => Number.isFinite(e.timestamp))) return;
    let max = Number.NEGATIVE_INFINITY;
    for (const e of elements) if (e.timestamp > max) max = e.timestamp;
    const cutoff = max - this.windowSize;
    let w = 0;
    for (const e of elements) if (e.timestamp > cutoff) elements[w++] = e;
    elements.length = w;
  }
}

/**
 * Flink's `DeltaEvictor`: removes every element whose delta to the window's last element is at
 * least `threshold`.
 */
export class DeltaEvictor<T> extends Evictor<T> {
  private readonly delta: (oldDataPoint: T, newDataPoint: T) => number;
  private constructor(
    readonly threshold: number,
    deltaFunction: DeltaFunction<T>,
    readonly doEvictAfter: boolean,
  ) {
    super();
    checkThreshold('DeltaEvictor', threshold);
    this.delta = deltaOf('DeltaEvictor', deltaFunction);
  }
  static of<T>(threshold: number, deltaFunction: DeltaFunction<T>, doEvictAfter = false): DeltaEvictor<T> {
    return new DeltaEvictor(threshold, deltaFunction, doEvictAfter);
  }
  evictBefore(elements: TimestampedValue<T>[]): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[]): void {
    if (this.doEvictAfter) this.evict(elements);
  }
  private evict(elements: TimestampedValue<T>[]): void {
    const last = elements[elements.length - 1];
    if (last === undefined) return;
    let w = 0;
    for (const e of elements) if (!(this.delta(e.value, last.value) >= this.threshold)) elements[w++] = e;
    elements.length = w;
  }
}
