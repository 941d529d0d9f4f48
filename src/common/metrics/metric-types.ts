/**
 * The metric types a user function registers (Flink's `org.apache.flink.metrics`): a
 * {@link Counter} counts, a {@link Gauge} reports a value on demand, a {@link Meter} reports a
 * rate. Updating one is a field increment: no allocation, no I/O; values are read only when
 * metrics are collected.
 */

/** Flink's `Counter`. */
export interface Counter {
  inc(n?: number): void;
  dec(n?: number): void;
  getCount(): number;
}

/** Flink's `SimpleCounter`: a plain number. */
export class SimpleCounter implements Counter {
  private count = 0;
  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.count += n;
  }
  /** Subtracts `n` (default 1). */
  dec(n = 1): void {
    this.count -= n;
  }
  /** The current count. */
  getCount(): number {
    return this.count;
  }
}

/** Flink's `Gauge<T>`: read when metrics are collected (numbers and booleans are exported). */
export interface Gauge<T> {
  getValue(): T;
}

/** Flink's `Meter`: events and their rate per second. */
export interface Meter {
  markEvent(n?: number): void;
  getRate(): number;
  getCount(): number;
}

/** Width of a {@link MeterView}'s window unless given (Flink's default). */
export const DEFAULT_METER_TIME_SPAN_SECONDS = 60;

/**
 * Flink's `MeterView`: counts events in a {@link Counter} and reports their average rate per
 * second over the last `timeSpanInSeconds`. The rate is worked out from the counts seen at
 * collection time (Flink samples every 5 s), so marking stays a counter increment.
 */
export class MeterView implements Meter {
  private readonly counter: Counter;
  private readonly clock: () => number;
  private readonly spanMs: number;
  /** (time, count) seen at collection time, oldest first; bounded by the span. */
  private readonly times: number[] = [];
  private readonly counts: number[] = [];

  constructor(timeSpanInSeconds?: number, clock?: () => number);
  constructor(counter: Counter, timeSpanInSeconds?: number, clock?: () => number);
  constructor(arg?: Counter | number, spanOrClock?: number | (() => number), maybeClock?: () => number) {
    const counterGiven = typeof arg === 'object' && arg !== null;
    this.counter = counterGiven ? arg : new SimpleCounter();
    const span = counterGiven ? spanOrClock : arg;
    const clock = (counterGiven ? maybeClock : spanOrClock) as (() => number) | undefined;
    this.clock = clock ?? Date.now;
    const seconds = typeof span === 'number' && span > 0 ? span : DEFAULT_METER_TIME_SPAN_SECONDS;
    this.spanMs = seconds * 1000;
    this.times.push(this.clock());
    this.counts.push(this.counter.getCount());
  }

  /** Records `n` events (default 1). */
  markEvent(n = 1): void {
    this.counter.inc(n);
  }

  /** Events since creation (the underlying counter's count). */
  getCount(): number {
    return this.counter.getCount();
  }

  /** Events per second over the time span (less while the meter is younger). */
  getRate(): number {
    const now = this.clock();
    const count = this.counter.getCount();
    // Keep the newest sample at or before the window's start, so the rate covers the whole span.
    while (this.times.length > 1 && this.times[1]! <= now - this.spanMs) {
      this.times.shift();
      this.counts.shift();
    }
    const elapsed = now - this.times[0]!;
    const rate = elapsed > 0 ? ((count - this.counts[0]!) * 1000) / Math.max(elapsed, 1000) : 0;
    if (now - this.times[this.times.length - 1]! >= 1000) {
      this.times.push(now);
      this.counts.push(count);
    }
    return rate;
  }
}
