/**
 * Retry strategies of the async operator, under Flink's names (`AsyncRetryStrategies`,
 * `RetryPredicates`): a fixed delay or an exponential backoff between attempts, retried when the
 * results or the error satisfy the predicates given with `ifResult` / `ifException`.
 *
 * @example
 * const retry = AsyncRetryStrategies.fixedDelay<Row>(3, 100)
 *   .ifResult(RetryPredicates.EMPTY_RESULT_PREDICATE)
 *   .ifException(RetryPredicates.HAS_EXCEPTION_PREDICATE)
 *   .build();
 * AsyncDataStream.orderedWaitWithRetry(stream, lookup, 1000, 100, retry);
 */
import type { AsyncRetryPredicate, AsyncRetryStrategy } from '../common/async-function.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Flink's ready-made predicates. */
export const RetryPredicates = {
  /** Retries when a request produced no result. */
  EMPTY_RESULT_PREDICATE: (results: readonly unknown[]): boolean => results.length === 0,
  /** Retries on any error. */
  HAS_EXCEPTION_PREDICATE: (_error: unknown): boolean => true,
} as const;

function requireCount(what: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer >= ${min}, got ${String(n)}`);
}

function requireMillis(what: string, n: number): void {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} must be a number of milliseconds >= 0, got ${String(n)}`);
}

/** A strategy built by one of the builders. */
class BuiltRetryStrategy<OUT> implements AsyncRetryStrategy<OUT> {
  constructor(
    private readonly maxAttempts: number,
    private readonly backoff: (currentAttempts: number) => number,
    private readonly predicate: AsyncRetryPredicate<OUT>,
  ) {}

  canRetry(currentAttempts: number): boolean {
    return currentAttempts <= this.maxAttempts;
  }

  getBackoffTimeMillis(currentAttempts: number): number {
    return this.backoff(currentAttempts);
  }

  getRetryPredicate(): AsyncRetryPredicate<OUT> {
    return this.predicate;
  }
}

/** Shared part of the builders: the predicates. */
abstract class RetryStrategyBuilder<OUT> {
  protected predicate: { resultPredicate?: (results: OUT[]) => boolean; exceptionPredicate?: (error: unknown) => boolean } = {};

  /** Retries when the results satisfy `predicate`. */
  ifResult(predicate: (results: OUT[]) => boolean): this {
    if (typeof predicate !== 'function') throw new InvalidArgumentError('ifResult() expects a predicate function');
    this.predicate.resultPredicate = predicate;
    return this;
  }

  /** Retries when the error satisfies `predicate`. */
  ifException(predicate: (error: unknown) => boolean): this {
    if (typeof predicate !== 'function') throw new InvalidArgumentError('ifException() expects a predicate function');
    this.predicate.exceptionPredicate = predicate;
    return this;
  }

  /** The strategy. */
  abstract build(): AsyncRetryStrategy<OUT>;
}

/** Flink's FixedDelayRetryStrategyBuilder: up to `maxAttempts` retries, `backoffTimeMillis` apart. */
export class FixedDelayRetryStrategyBuilder<OUT> extends RetryStrategyBuilder<OUT> {
  constructor(
    private readonly maxAttempts: number,
    private readonly backoffTimeMillis: number,
  ) {
    super();
    requireCount('maxAttempts', maxAttempts, 1);
    requireMillis('backoffTimeMillis', backoffTimeMillis);
  }

  build(): AsyncRetryStrategy<OUT> {
    const delay = this.backoffTimeMillis;
    return new BuiltRetryStrategy<OUT>(this.maxAttempts, () => delay, { ...this.predicate });
  }
}

/**
 * Flink's ExponentialBackoffDelayRetryStrategyBuilder: up to `maxAttempts` retries; the first
 * after `initialDelay`, each next one `multiplier` times later, at most `maxRetryDelay`.
 */
export class ExponentialBackoffDelayRetryStrategyBuilder<OUT> extends RetryStrategyBuilder<OUT> {
  constructor(
    private readonly maxAttempts: number,
    private readonly initialDelay: number,
    private readonly maxRetryDelay: number,
    private readonly multiplier: number,
  ) {
    super();
    requireCount('maxAttempts', maxAttempts, 1);
    requireMillis('initialDelay', initialDelay);
    requireMillis('maxRetryDelay', maxRetryDelay);
    if (!(multiplier >= 1) || !Number.isFinite(multiplier)) throw new InvalidArgumentError(`multiplier must be a number >= 1, got ${String(multiplier)}`);
    if (maxRetryDelay < initialDelay) throw new InvalidArgumentError(`maxRetryDelay (${maxRetryDelay}) must not be below initialDelay (${initialDelay})`);
  }

  build(): AsyncRetryStrategy<OUT> {
    const { initialDelay, maxRetryDelay, multiplier } = this;
    const backoff = (attempts: number): number => Math.min(maxRetryDelay, initialDelay * Math.pow(multiplier, Math.max(0, attempts - 1)));
    return new BuiltRetryStrategy<OUT>(this.maxAttempts, backoff, { ...this.predicate });
  }
}

/** Flink's AsyncRetryStrategies: the builders, and a strategy that never retries. */
export const AsyncRetryStrategies = {
  /** Never retries. */
  NO_RETRY_STRATEGY: new BuiltRetryStrategy<never>(0, () => 0, {}) as AsyncRetryStrategy<never>,
  /** Up to `maxAttempts` retries, `backoffTimeMillis` apart; add predicates, then `build()`. */
  fixedDelay<OUT>(maxAttempts: number, backoffTimeMillis: number): FixedDelayRetryStrategyBuilder<OUT> {
    return new FixedDelayRetryStrategyBuilder<OUT>(maxAttempts, backoffTimeMillis);
  },
  /** Up to `maxAttempts` retries with exponentially growing delays; add predicates, then `build()`. */
  exponentialBackoff<OUT>(maxAttempts: number, initialDelay: number, maxRetryDelay: number, multiplier: number): ExponentialBackoffDelayRetryStrategyBuilder<OUT> {
    return new ExponentialBackoffDelayRetryStrategyBuilder<OUT>(maxAttempts, initialDelay, maxRetryDelay, multiplier);
  },
  FixedDelayRetryStrategyBuilder,
  ExponentialBackoffDelayRetryStrategyBuilder,
} as const;
