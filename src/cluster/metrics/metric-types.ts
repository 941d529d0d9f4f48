/**
 * The metric kinds of Fluss, as in Flink: a {@link Counter} counts up, a {@link Gauge} reports a
 * value on demand, and a {@link Meter} counts events and reports their per-second rate over a
 * sliding minute. All updates are O(1) without allocation, so the runtime can call them once per
 * processed batch.
 */

/** Labels of one time series (Prometheus label name → value). */
export type MetricLabels = Readonly<Record<string, string>>;

/** A monotonically increasing count. */
export class Counter {
  private value = 0;

  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.value += n;
  }

  /** The count so far. */
  getCount(): number {
    return this.value;
  }
}

/** A value read when metrics are collected. */
export class Gauge {
  constructor(private readonly read: () => number) {}

  /** The current value. */
  getValue(): number {
    return this.read();
  }
}

/** Width of a meter's sliding window in seconds (Flink's MeterView default). */
export const METER_WINDOW_SECONDS = 60;

/**
 * Counts events and reports their rate per second over the last {@link METER_WINDOW_SECONDS}
 * seconds (less while the meter is younger). One bucket per second in a ring; marking only
 * touches the current bucket, so a mark is a few arithmetic operations.
 */
export class Meter {
  private readonly buckets = new Float64Array(METER_WINDOW_SECONDS);
  /** Second (since epoch) of the newest bucket. */
  private headSecond: number;
  private total = 0;
  private readonly createdAt: number;

  constructor(private readonly clock: () => number = Date.now) {
    this.createdAt = clock();
    this.headSecond = Math.floor(this.createdAt / 1000);
  }

  /** Records `n` events (default 1) now. */
  markEvent(n = 1): void {
    this.advance(this.clock());
    this.buckets[this.headSecond % METER_WINDOW_SECONDS]! += n;
    this.total += n;
  }

  /** Events recorded since creation. */
  getCount(): number {
    return this.total;
  }

  /** Events per second over the sliding window. */
  getRate(): number {
    const now = this.clock();
    this.advance(now);
    let sum = 0;
    for (let i = 0; i < METER_WINDOW_SECONDS; i++) sum += this.buckets[i]!;
    const windowStart = (this.headSecond - METER_WINDOW_SECONDS + 1) * 1000;
    const spanMs = now - Math.max(windowStart, this.createdAt);
    // A meter younger than a second reports over one second, not over a sliver of time.
    return sum / Math.max(1, spanMs / 1000);
  }

  /** Moves the ring to the second of `now`, clearing the seconds that passed without events. */
  private advance(now: number): void {
    const second = Math.floor(now / 1000);
    if (second <= this.headSecond) return;
    const gap = Math.min(second - this.headSecond, METER_WINDOW_SECONDS);
    for (let i = 1; i <= gap; i++) this.buckets[(this.headSecond + i) % METER_WINDOW_SECONDS] = 0;
    this.headSecond = second;
  }
}
