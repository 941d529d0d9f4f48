/**
 * The `timestampsAndWatermarks` operator (`stream.assignTimestampsAndWatermarks(strategy)`,
 * Flink's TimestampsAndWatermarksOperator): gives every record the timestamp of the strategy's
 * assigner, feeds the strategy's generator per record and periodically, and replaces the
 * watermarks of its input by its own. Only the final maximal watermark of the input passes
 * through, so bounded jobs still fire every window at the end.
 */
import type { TimestampAssigner, WatermarkStrategy } from '../../common/watermark-strategy.js';
import { MAX_WATERMARK } from '../../common/stream-element.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import {
  type GeneratorOutput,
  isWatermarkStrategy,
  PeriodicWatermarkEmitter,
  RECORD_TIMESTAMP,
  WatermarkMultiplexer,
  type WatermarkSink,
} from './timestamps-watermark-output.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** Kind `timestampsAndWatermarks`. */
export class TimestampsAndWatermarksOperator extends AbstractStreamOperator implements WatermarkSink {
  private readonly assigner: TimestampAssigner<unknown>;
  private readonly watermarks: WatermarkMultiplexer<unknown>;
  private readonly main: GeneratorOutput<unknown>;
  private periodic: PeriodicWatermarkEmitter | undefined;

  constructor(name: string, strategy: unknown) {
    super(name, undefined);
    if (!isWatermarkStrategy(strategy)) throw new InvalidArgumentError(`${name}: expected a WatermarkStrategy`);
    this.assigner = strategy.timestampAssigner ?? RECORD_TIMESTAMP;
    this.watermarks = new WatermarkMultiplexer(strategy as WatermarkStrategy<unknown>, this);
    this.main = this.watermarks.output('main');
  }

  protected override onOpen(): void {
    this.periodic = new PeriodicWatermarkEmitter(this.ctx.processingTimeService, this.ctx.autoWatermarkIntervalMs ?? 0, () =>
      this.emitPeriodicWatermark(),
    );
    this.periodic.start();
  }

  processElement(value: unknown, timestamp: number): void {
    let ts: number;
    try {
      ts = this.assigner(value, timestamp);
      this.main.onEvent(value, ts);
    } catch (err) {
      throw this.userError(err);
    }
    this.output.collect(value, ts);
  }

  /** Asks the generator for its periodic watermark now (the mailbox calls this every interval). */
  emitPeriodicWatermark(): void {
    try {
      this.watermarks.emitPeriodic();
    } catch (err) {
      throw this.userError(err);
    }
  }

  /** Upstream watermarks are replaced by this operator's own; only the final one passes. */
  override processWatermark(timestamp: number): void {
    if (timestamp !== MAX_WATERMARK) return;
    this.periodic?.stop();
    this.emitWatermark(MAX_WATERMARK);
  }

  /** Upstream idleness is replaced by the generator's own. */
  override processWatermarkStatus(): void {}

  /**
   * The generator's combined watermark. Only this sets `currentWatermark` (the input's
   * watermarks never reach the base), so it is also the last watermark emitted.
   */
  emitWatermark(timestamp: number): void {
    if (timestamp <= this.currentWatermark) return;
    this.currentWatermark = timestamp;
    this.output.emitWatermark(timestamp);
  }

  emitWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus?.(idle);
  }

  fireProcessingTimers(now: number): void {
    this.periodic?.onProcessingTime(now);
  }
}
