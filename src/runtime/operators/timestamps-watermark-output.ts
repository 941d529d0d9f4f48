/**
 * Runs a {@link WatermarkStrategy} inside an operator: extracts timestamps, feeds one watermark
 * generator per output (the operator's only output, or one per source split), and combines
 * the generators' watermarks into the operator's watermark (Flink's WatermarkOutputMultiplexer):
 * the minimum over outputs that are not idle, only ever advancing; the operator is idle while
 * every output is. Periodic emission is driven by the task's mailbox through the processing
 * time service, never from a timer callback of its own.
 */
import type { TimestampAssigner, Watermark, WatermarkGenerator, WatermarkOutput, WatermarkStrategy } from '../../common/watermark-strategy.js';
import type { ProcessingTimeService } from '../internal-timer-service.js';

/** Where the combined watermark and idleness go (the operator's output). */
export interface WatermarkSink {
  emitWatermark(timestamp: number): void;
  emitWatermarkStatus(idle: boolean): void;
}

/** One generator and the watermark it reached. */
export class GeneratorOutput<T> implements WatermarkOutput {
  watermark = Number.NEGATIVE_INFINITY;
  idle = false;

  constructor(
    private readonly owner: WatermarkMultiplexer<T>,
    readonly generator: WatermarkGenerator<T>,
  ) {}

  /** Feeds one record's timestamp to the generator. */
  onEvent(value: T, timestamp: number): void {
    this.generator.onEvent(value, timestamp, this);
  }

  emitWatermark(watermark: number | Watermark): void {
    // Flink's generators emit `new Watermark(ts)`; Fluss's may pass the number.
    const timestamp = typeof watermark === 'number' ? watermark : watermark.getTimestamp();
    if (timestamp > this.watermark) this.watermark = timestamp;
    this.idle = false;
    this.owner.update();
  }

  markIdle(): void {
    this.idle = true;
    this.owner.update();
  }

  markActive(): void {
    this.idle = false;
    this.owner.update();
  }
}

/** Combines the watermarks of several generator outputs. */
export class WatermarkMultiplexer<T> {
  private readonly outputs = new Map<string, GeneratorOutput<T>>();
  private current = Number.NEGATIVE_INFINITY;
  private idle = false;

  constructor(
    private readonly strategy: WatermarkStrategy<T>,
    private readonly sink: WatermarkSink,
  ) {}

  /** The output `id`, created with a fresh generator on first use. */
  output(id: string): GeneratorOutput<T> {
    let out = this.outputs.get(id);
    if (!out) {
      out = new GeneratorOutput(this, this.strategy.createWatermarkGenerator());
      this.outputs.set(id, out);
    }
    return out;
  }

  /** Removes a finished output (a split read to its end); the rest may now advance. */
  release(id: string): void {
    if (this.outputs.delete(id)) this.update();
  }

  /** Asks every generator for its periodic watermark. */
  emitPeriodic(): void {
    for (const out of this.outputs.values()) out.generator.onPeriodicEmit(out);
  }

  /** Recomputes the combined watermark and idleness and emits what changed. */
  update(): void {
    if (this.outputs.size === 0) return;
    let min = Number.POSITIVE_INFINITY;
    for (const out of this.outputs.values()) if (!out.idle && out.watermark < min) min = out.watermark;
    const idle = min === Number.POSITIVE_INFINITY;
    if (idle !== this.idle) {
      // Active again: said before the next watermark, as Flink does.
      this.idle = idle;
      this.sink.emitWatermarkStatus(idle);
    }
    if (!idle && min > this.current) {
      this.current = min;
      this.sink.emitWatermark(min);
    }
  }
}

/** A timestamp assigner that keeps the record's own timestamp. */
export const RECORD_TIMESTAMP: TimestampAssigner<unknown> = (_event, recordTimestamp) => recordTimestamp;

/** True when `x` looks like a {@link WatermarkStrategy}. */
export function isWatermarkStrategy(x: unknown): x is WatermarkStrategy<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as WatermarkStrategy<unknown>).createWatermarkGenerator === 'function';
}

/**
 * Calls `emit` every `intervalMs` from the task's mailbox: the operator forwards its
 * `fireProcessingTimers(now)` here, and the emitter asks the task to wake it again.
 */
export class PeriodicWatermarkEmitter {
  private nextAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly service: ProcessingTimeService | undefined,
    private readonly intervalMs: number,
    private readonly emit: () => void,
  ) {}

  /** Schedules the first emission. */
  start(): void {
    if (!this.service || !(this.intervalMs > 0)) return;
    this.nextAt = this.service.now() + this.intervalMs;
    this.service.requestWakeUp(this.nextAt);
  }

  /** Emits when due; always re-requests the next wake-up (the task forgets earlier ones). */
  onProcessingTime(now: number): void {
    if (this.nextAt === Number.POSITIVE_INFINITY) return;
    if (now >= this.nextAt) {
      this.emit();
      this.nextAt = now + this.intervalMs;
    }
    this.service!.requestWakeUp(this.nextAt);
  }

  /** No more emissions. */
  stop(): void {
    this.nextAt = Number.POSITIVE_INFINITY;
  }
}
