/**
 * Watermark strategies (Flink's WatermarkStrategy): how records get timestamps and how a
 * source or `assignTimestampsAndWatermarks` derives watermarks from them. Generators are
 * called synchronously per record (`onEvent`) and every `pipeline.auto-watermark-interval`
 * (`onPeriodicEmit`).
 */

/** A watermark as Flink's generators emit it: `output.emitWatermark(new Watermark(ts))`. */
import { InvalidArgumentError } from '../core/errors.js';

export class Watermark {
  constructor(readonly timestamp: number) {
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) throw new InvalidArgumentError(`a Watermark needs a timestamp, got ${String(timestamp)}`);
  }

  /** The watermark's time in ms. */
  getTimestamp(): number {
    return this.timestamp;
  }
}

/** Where a generator emits watermarks. */
export interface WatermarkOutput {
  /** Emits a watermark: a timestamp in ms, or Flink's `new Watermark(ts)`. */
  emitWatermark(watermark: number | Watermark): void;
  /** No more records for now: downstream ignores this input when computing its watermark. */
  markIdle(): void;
  /** Records flow again. */
  markActive(): void;
}

/** Derives watermarks from records and/or periodically. */
export interface WatermarkGenerator<T> {
  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** Extracts an event's timestamp in ms; `recordTimestamp` is the one it already had, or -Infinity. */
export type TimestampAssigner<T> = (event: T, recordTimestamp: number) => number;

/** Emits `maxTimestamp - outOfOrderness - 1` (Flink's BoundedOutOfOrdernessWatermarks). */
export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  private maxTimestamp: number;

  constructor(readonly outOfOrdernessMs: number) {
    if (!(outOfOrdernessMs >= 0)) throw new InvalidArgumentError(`out-of-orderness must be >= 0, got ${outOfOrdernessMs}`);
    this.maxTimestamp = Number.MIN_SAFE_INTEGER + outOfOrdernessMs + 1;
  }

  onEvent(_event: T, eventTimestamp: number): void {
    if (eventTimestamp > this.maxTimestamp) this.maxTimestamp = eventTimestamp;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    output.emitWatermark(this.maxTimestamp - this.outOfOrdernessMs - 1);
  }
}

/** Never emits a watermark. */
export class NoWatermarksGenerator<T> implements WatermarkGenerator<T> {
  onEvent(): void {}
  onPeriodicEmit(): void {}
}

/**
 * Wraps a generator: when no record arrived for `idleTimeoutMs`, the output is marked idle so it
 * stops holding back the watermark of downstream operators.
 */
export class WatermarksWithIdleness<T> implements WatermarkGenerator<T> {
  private lastEventAt: number;
  private idle = false;

  constructor(
    private readonly inner: WatermarkGenerator<T>,
    readonly idleTimeoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastEventAt = clock();
  }

  onEvent(event: T, ts: number, output: WatermarkOutput): void {
    this.lastEventAt = this.clock();
    if (this.idle) {
      this.idle = false;
      output.markActive();
    }
    this.inner.onEvent(event, ts, output);
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.clock() - this.lastEventAt >= this.idleTimeoutMs) {
      if (!this.idle) {
        this.idle = true;
        output.markIdle();
      }
      return;
    }
    this.inner.onPeriodicEmit(output);
  }
}

/** How timestamps and watermarks are produced. Immutable: each `with…` returns a new strategy. */
export class WatermarkStrategy<T> {
  private constructor(
    private readonly generatorFactory: (() => WatermarkGenerator<T>) | undefined,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    readonly idleTimeoutMs: number | undefined,
  ) {}

  /** Watermarks trail the highest timestamp seen by `maxOutOfOrdernessMs`. */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(maxOutOfOrdernessMs >= 0)) throw new InvalidArgumentError(`out-of-orderness must be >= 0, got ${maxOutOfOrdernessMs}`);
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(maxOutOfOrdernessMs), undefined, undefined);
  }

  /** Timestamps only ever increase: the watermark is the highest timestamp seen minus one. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(0), undefined, undefined);
  }

  /** No watermarks (processing-time jobs). */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(undefined, undefined, undefined);
  }

  /** A custom generator. */
  static forGenerator<T>(factory: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(factory, undefined, undefined);
  }

  /** Takes each record's event time from `assigner`. */
  withTimestampAssigner(assigner: TimestampAssigner<T> | { extractTimestamp: TimestampAssigner<T> }): WatermarkStrategy<T> {
    const fn: TimestampAssigner<T> = typeof assigner === 'function' ? assigner : (e, ts) => assigner.extractTimestamp(e, ts);
    return new WatermarkStrategy<T>(this.generatorFactory, fn, this.idleTimeoutMs);
  }

  /** Marks the input idle after `idleTimeoutMs` without records. */
  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (!(idleTimeoutMs > 0)) throw new InvalidArgumentError(`idle timeout must be > 0, got ${idleTimeoutMs}`);
    return new WatermarkStrategy<T>(this.generatorFactory, this.timestampAssigner, idleTimeoutMs);
  }

  /** True unless this is `noWatermarks()`. */
  get emitsWatermarks(): boolean {
    return this.generatorFactory !== undefined;
  }

  /** A fresh generator for one subtask (or one source split). */
  createWatermarkGenerator(clock: () => number = Date.now): WatermarkGenerator<T> {
    const inner = this.generatorFactory ? this.generatorFactory() : new NoWatermarksGenerator<T>();
    return this.idleTimeoutMs !== undefined ? new WatermarksWithIdleness(inner, this.idleTimeoutMs, clock) : inner;
  }
}
