/**
 * Flink's `Histogram` and the statistics it reports, with
 * {@link DescriptiveStatisticsHistogram} (Flink's built-in implementation over the last N values).
 */

import { InvalidArgumentError } from '../../core/errors.js';

/** Flink's `HistogramStatistics`. */
export interface HistogramStatistics {
  /** The value at `quantile` (0..1). */
  getQuantile(quantile: number): number;
  getValues(): number[];
  size(): number;
  getMean(): number;
  getStdDev(): number;
  getMax(): number;
  getMin(): number;
}

/** Flink's `Histogram`: records values, reports their distribution. */
export interface Histogram {
  update(value: number): void;
  getCount(): number;
  getStatistics(): HistogramStatistics;
}

/** Statistics of a sorted copy of the values. */
class SortedStatistics implements HistogramStatistics {
  private readonly sorted: number[];
  constructor(values: number[]) {
    this.sorted = values.sort((a, b) => a - b);
  }
  getQuantile(quantile: number): number {
    const n = this.sorted.length;
    if (n === 0) return 0;
    // Commons Math's default percentile estimate (what Flink's DescriptiveStatistics uses).
    const pos = Math.min(Math.max(quantile, 0), 1) * (n + 1);
    if (pos < 1) return this.sorted[0]!;
    if (pos >= n) return this.sorted[n - 1]!;
    const lower = this.sorted[Math.floor(pos) - 1]!;
    const upper = this.sorted[Math.floor(pos)]!;
    return lower + (pos - Math.floor(pos)) * (upper - lower);
  }
  getValues(): number[] {
    return [...this.sorted];
  }
  size(): number {
    return this.sorted.length;
  }
  getMean(): number {
    const n = this.sorted.length;
    return n === 0 ? 0 : this.sorted.reduce((s, v) => s + v, 0) / n;
  }
  getStdDev(): number {
    const n = this.sorted.length;
    if (n < 2) return 0;
    const mean = this.getMean();
    return Math.sqrt(this.sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  }
  getMax(): number {
    return this.sorted.length === 0 ? 0 : this.sorted[this.sorted.length - 1]!;
  }
  getMin(): number {
    return this.sorted.length === 0 ? 0 : this.sorted[0]!;
  }
}

/**
 * Flink's `DescriptiveStatisticsHistogram`: the statistics of the last `windowSize` values.
 * `update` writes one slot of a ring buffer; statistics are computed when read.
 */
export class DescriptiveStatisticsHistogram implements Histogram {
  private readonly ring: Float64Array;
  private count = 0;

  constructor(readonly windowSize: number) {
    if (!Number.isInteger(windowSize) || windowSize <= 0) throw new InvalidArgumentError(`histogram window size must be a positive integer, got ${windowSize}`);
    this.ring = new Float64Array(windowSize);
  }

  /** Records a value. */
  update(value: number): void {
    this.ring[this.count % this.windowSize] = value;
    this.count++;
  }

  /** Values recorded since creation. */
  getCount(): number {
    return this.count;
  }

  /** Statistics of the values in the window. */
  getStatistics(): HistogramStatistics {
    return new SortedStatistics(Array.from(this.ring.subarray(0, Math.min(this.count, this.windowSize))));
  }
}
