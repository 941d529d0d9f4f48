/**
 * Job-wide execution options (Flink's ExecutionConfig), from `env.getConfig()`.
 */
import { JobBuildError } from '../core/errors.js';

/** Flink's default interval of periodic watermark emission. */
export const DEFAULT_AUTO_WATERMARK_INTERVAL_MS = 200;

/** Execution options of a job. */
export class ExecutionConfig {
  private autoWatermarkIntervalMs = DEFAULT_AUTO_WATERMARK_INTERVAL_MS;

  /** How often periodic watermarks are emitted; 0 disables periodic watermarks. */
  setAutoWatermarkInterval(intervalMs: number): this {
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new JobBuildError(`auto watermark interval must be a non-negative number of ms, got ${intervalMs}`);
    }
    this.autoWatermarkIntervalMs = intervalMs;
    return this;
  }

  /** The periodic watermark interval in ms. */
  getAutoWatermarkInterval(): number {
    return this.autoWatermarkIntervalMs;
  }
}
