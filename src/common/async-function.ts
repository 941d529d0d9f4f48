/**
 * Contracts of asynchronous I/O (Flink's `AsyncFunction`, `ResultFuture`, `AsyncRetryStrategy`):
 * what `AsyncDataStream` accepts and what its operator calls. A function starts a request per
 * record and completes it later; the operator keeps at most `capacity` requests in flight.
 */
import type { RichFunction } from './functions.js';

/** Completes one asynchronous request (Flink's ResultFuture). Only the first completion counts. */
export interface ResultFuture<OUT> {
  /** The request produced `results` (any number of records, none included). */
  complete(results: Iterable<OUT>): void;
  /** The request failed: the job fails (or the retry strategy retries it). */
  completeExceptionally(error: unknown): void;
}

/**
 * Flink's shape: `asyncInvoke(input, resultFuture)` starts the request and completes
 * `resultFuture` later; `timeout(input, resultFuture)` (optional) decides what a request that
 * took longer than the operator's timeout yields (default: the job fails).
 */
export interface AsyncFunction<IN, OUT> extends RichFunction {
  asyncInvoke(input: IN, resultFuture: ResultFuture<OUT>): void;
  timeout?(input: IN, resultFuture: ResultFuture<OUT>): void;
}

/**
 * The TypeScript idiom: a function returning a promise of one result, of an array of results
 * (each one a record), or of `undefined` (no record). To emit one array as a record, return
 * `[array]`.
 */
export type AsyncLambda<IN, OUT> = (input: IN) => PromiseLike<OUT | OUT[] | undefined> | OUT | OUT[] | undefined;

/** Anything `AsyncDataStream` accepts as the function. */
export type AsyncUserFunction<IN, OUT> = AsyncLambda<IN, OUT> | AsyncFunction<IN, OUT>;

/** When a completed request is tried again (Flink's AsyncRetryPredicate). */
export interface AsyncRetryPredicate<OUT> {
  /** Retry when the results satisfy it (e.g. empty: the row is not there yet). */
  resultPredicate?: (results: OUT[]) => boolean;
  /** Retry when the error satisfies it. */
  exceptionPredicate?: (error: unknown) => boolean;
}

/** How often and after how long a request is tried again (Flink's AsyncRetryStrategy). */
export interface AsyncRetryStrategy<OUT> {
  /** Whether another attempt may follow `currentAttempts` attempts (the first call is attempt 1). */
  canRetry(currentAttempts: number): boolean;
  /** Milliseconds to wait before the attempt following `currentAttempts` attempts. */
  getBackoffTimeMillis(currentAttempts: number): number;
  /** Which outcomes are retried. */
  getRetryPredicate(): AsyncRetryPredicate<OUT>;
}

/** Order of an async operator's output. */
export type AsyncOutputMode = 'ordered' | 'unordered';

/** What an `asyncWait` stream node carries as its user function (the function and its retry strategy). */
export interface AsyncWaitSpec {
  readonly function: unknown;
  readonly retryStrategy: AsyncRetryStrategy<unknown> | undefined;
}

/** The serialisable settings of an `asyncWait` node. */
export interface AsyncWaitSettings {
  readonly mode: AsyncOutputMode;
  readonly timeoutMs: number;
  readonly capacity: number;
}

/** Flink's default capacity of an async operator (requests in flight per subtask). */
export const DEFAULT_ASYNC_CAPACITY = 100;
