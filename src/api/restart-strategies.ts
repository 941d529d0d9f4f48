/**
 * Restart strategies (Flink's RestartStrategies): how the JobMaster restarts a failed job.
 */
import { JobBuildError } from '../core/errors.js';
import type { RestartStrategySettings } from '../common/job-graph.js';
import { describeValue } from './function-checks.js';

/** Options of {@link RestartStrategies.exponentialDelay}; defaults follow Flink's. */
export interface ExponentialDelayOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  backoffMultiplier?: number;
  resetBackoffThresholdMs?: number;
  jitterFactor?: number;
}

function nonNegative(what: string, n: number): number {
  if (!Number.isFinite(n) || n < 0) throw new JobBuildError(`${what} must be a non-negative number, got ${n}`);
  return n;
}

/** Factories of restart strategies for `env.setRestartStrategy(...)`; Flink's names (`fixedDelayRestart`, …) and short ones. */
export const RestartStrategies = {
  /** Never restart: the first failure fails the job. */
  noRestart(): RestartStrategySettings {
    return { type: 'none' };
  },
  /** Restart up to `attempts` times, waiting `delayMs` before each restart. */
  fixedDelay(attempts: number, delayMs: number): RestartStrategySettings {
    if (!(Number.isInteger(attempts) && attempts >= 0) && attempts !== Infinity) {
      throw new JobBuildError(`restart attempts must be a non-negative integer, got ${attempts}`);
    }
    return { type: 'fixed-delay', attempts, delayMs: nonNegative('restart delay', delayMs) };
  },
  /** Restart with a delay growing by `backoffMultiplier` after each failure, up to `maxBackoffMs`. */
  exponentialDelay(options: ExponentialDelayOptions = {}): RestartStrategySettings {
    const s = {
      type: 'exponential-delay' as const,
      initialBackoffMs: nonNegative('initial backoff', options.initialBackoffMs ?? 1000),
      maxBackoffMs: nonNegative('max backoff', options.maxBackoffMs ?? 60 * 60_000),
      backoffMultiplier: options.backoffMultiplier ?? 1.5,
      resetBackoffThresholdMs: nonNegative('reset backoff threshold', options.resetBackoffThresholdMs ?? 60 * 60_000),
      jitterFactor: options.jitterFactor ?? 0.1,
    };
    if (!(s.backoffMultiplier >= 1)) throw new JobBuildError(`backoff multiplier must be >= 1, got ${s.backoffMultiplier}`);
    if (!(s.jitterFactor >= 0 && s.jitterFactor <= 1)) throw new JobBuildError(`jitter factor must be in [0, 1], got ${s.jitterFactor}`);
    if (s.maxBackoffMs < s.initialBackoffMs) throw new JobBuildError('max backoff must not be below the initial backoff');
    return s;
  },
  /** Restart unless more than `maxFailuresPerInterval` failures happen within `failureRateIntervalMs`. */
  failureRate(maxFailuresPerInterval: number, failureRateIntervalMs: number, delayMs: number): RestartStrategySettings {
    if (!Number.isInteger(maxFailuresPerInterval) || maxFailuresPerInterval < 1) {
      throw new JobBuildError(`max failures per interval must be a positive integer, got ${maxFailuresPerInterval}`);
    }
    if (!(failureRateIntervalMs > 0)) throw new JobBuildError(`failure rate interval must be positive, got ${failureRateIntervalMs}`);
    return { type: 'failure-rate', maxFailuresPerInterval, failureRateIntervalMs, delayMs: nonNegative('restart delay', delayMs) };
  },
  /** Flink's name of {@link fixedDelay}: `fixedDelayRestart(3, Time.seconds(10))`. */
  fixedDelayRestart(restartAttempts: number, delayBetweenAttemptsMs: number): RestartStrategySettings {
    return RestartStrategies.fixedDelay(restartAttempts, delayBetweenAttemptsMs);
  },
  /** Flink's name of {@link failureRate}: `failureRateRestart(3, Time.minutes(5), Time.seconds(10))`. */
  failureRateRestart(failureRate: number, failureIntervalMs: number, delayIntervalMs: number): RestartStrategySettings {
    return RestartStrategies.failureRate(failureRate, failureIntervalMs, delayIntervalMs);
  },
  /** Flink's positional form of {@link exponentialDelay}. */
  exponentialDelayRestart(
    initialBackoffMs: number,
    maxBackoffMs: number,
    backoffMultiplier: number,
    resetBackoffThresholdMs: number,
    jitterFactor: number,
  ): RestartStrategySettings {
    return RestartStrategies.exponentialDelay({ initialBackoffMs, maxBackoffMs, backoffMultiplier, resetBackoffThresholdMs, jitterFactor });
  },
  /** Flink's "use the cluster's strategy": the job sets none, so the cluster default applies. */
  fallBackRestart(): undefined {
    return undefined;
  },
} as const;

const RESTART_TYPES = new Set(['none', 'fixed-delay', 'exponential-delay', 'failure-rate']);

/** A copy of `strategy` after checking it came from {@link RestartStrategies}; undefined stays undefined. */
export function checkedRestartStrategy(strategy: RestartStrategySettings | undefined): RestartStrategySettings | undefined {
  if (strategy === undefined) return undefined;
  if (typeof strategy !== 'object' || strategy === null || !RESTART_TYPES.has(strategy.type)) {
    throw new JobBuildError(`setRestartStrategy() expects a strategy from RestartStrategies, got ${describeValue(strategy)}`);
  }
  return { ...strategy };
}
