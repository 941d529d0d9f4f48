/**
 * Restart strategies, as a job sets them (`RestartStrategies.noRestart()`, `.fixedDelay(n, ms)`,
 * `.exponentialDelay({…})`, `.failureRate(…)`). Each failure asks the strategy whether the job
 * may restart and after which delay. Pure apart from the clock and jitter passed in.
 */
import type { JobSettings, RestartStrategySettings } from '../../common/job-graph.js';

/** Flink's exponential-delay defaults: the restart strategy of a checkpointed job that sets none. */
export const DEFAULT_CHECKPOINTED_RESTART_STRATEGY: RestartStrategySettings = {
  type: 'exponential-delay',
  initialBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  backoffMultiplier: 1.5,
  resetBackoffThresholdMs: 60 * 60_000,
  jitterFactor: 0.1,
};

/**
 * The strategy a job runs with: its own, else (as in Flink) exponential delay when it
 * checkpoints and no restart when it does not.
 */
export function effectiveRestartStrategy(settings: JobSettings): RestartStrategySettings | undefined {
  if (settings.restartStrategy) return settings.restartStrategy;
  return settings.checkpoint.intervalMs > 0 ? DEFAULT_CHECKPOINTED_RESTART_STRATEGY : undefined;
}

/** The decision for one failure. */
export type RestartDecision = { restart: true; delayMs: number } | { restart: false; reason: string };

/** Decides, failure by failure, whether a job restarts. */
export class RestartStrategy {
  private restarts = 0;
  private currentBackoffMs = 0;
  private lastFailureAt: number | undefined;
  private readonly failureTimes: number[] = [];

  /** `settings` undefined means the cluster default: no restart (checkpointing is off). */
  constructor(
    readonly settings: RestartStrategySettings | undefined,
    private readonly random: () => number = Math.random,
  ) {}

  /** Restarts granted so far. */
  get numberOfRestarts(): number {
    return this.restarts;
  }

  /** Records a failure at `now` and decides. */
  onFailure(now: number): RestartDecision {
    const s = this.settings ?? { type: 'none' as const };
    const previous = this.lastFailureAt;
    this.lastFailureAt = now;
    switch (s.type) {
      case 'none':
        return { restart: false, reason: 'the restart strategy is none' };
      case 'fixed-delay':
        if (this.restarts >= s.attempts) return { restart: false, reason: `the fixed-delay restart strategy allowed ${s.attempts} restarts` };
        this.restarts++;
        return { restart: true, delayMs: s.delayMs };
      case 'exponential-delay': {
        const quiet = previous !== undefined && now - previous >= s.resetBackoffThresholdMs;
        this.currentBackoffMs = this.currentBackoffMs === 0 || quiet
          ? s.initialBackoffMs
          : Math.min(s.maxBackoffMs, this.currentBackoffMs * s.backoffMultiplier);
        const jitter = this.currentBackoffMs * s.jitterFactor * (this.random() * 2 - 1);
        this.restarts++;
        return { restart: true, delayMs: Math.max(0, Math.round(this.currentBackoffMs + jitter)) };
      }
      case 'failure-rate': {
        this.failureTimes.push(now);
        while (this.failureTimes.length > 0 && this.failureTimes[0]! <= now - s.failureRateIntervalMs) this.failureTimes.shift();
        if (this.failureTimes.length > s.maxFailuresPerInterval) {
          return { restart: false, reason: `more than ${s.maxFailuresPerInterval} failures within ${s.failureRateIntervalMs} ms` };
        }
        this.restarts++;
        return { restart: true, delayMs: s.delayMs };
      }
    }
  }
}
