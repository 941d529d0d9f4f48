/**
 * Wall-clock pacing for generating sources: from {@link RateLimiter.start}, at most
 * `elapsed × rate + 1` records, enforced by a timer until the next record is due, never by
 * spinning. Also the strided split that generating sources keep as their position.
 */

/** Positions `next, next + stride, …` below a source's end: one split of a strided generator. */
export interface StridedSplit {
  next: number;
  stride: number;
}

/** Copies of the splits with positions left below `end`: a strided reader's snapshot. */
export function liveSplits(splits: readonly StridedSplit[], end: number): StridedSplit[] {
  return splits.filter((s) => s.next < end).map((s) => ({ next: s.next, stride: s.stride }));
}

/** Paces one reader at `ratePerSecond` records per second of wall-clock time. */
export class RateLimiter {
  private startedAt = 0;
  /** Records emitted since {@link startedAt}. */
  private emitted = 0;

  constructor(private readonly ratePerSecond: number) {}

  /** Starts the clock: the rate counts from now (so a restored reader neither bursts nor waits). */
  start(): void {
    this.startedAt = Date.now();
  }

  /** Records that may be emitted now; zero or less when the next one is not due yet. */
  allowance(): number {
    return Math.floor(((Date.now() - this.startedAt) * this.ratePerSecond) / 1000) + 1 - this.emitted;
  }

  /** Counts `records` emitted. */
  record(records: number): void {
    this.emitted += records;
  }

  /** Resolves at the instant the next record is due. */
  nextDue(): Promise<void> {
    const dueAt = this.startedAt + (this.emitted * 1000) / this.ratePerSecond;
    const wait = Math.max(0, Math.ceil(dueAt - Date.now()));
    return new Promise((resolve) => setTimeout(resolve, wait));
  }
}
