/**
 * Flink's AsyncDataStream: enriches a stream with asynchronous calls (HTTP, a database, a cache)
 * without blocking it. Per record the function starts a request; at most `capacity` requests
 * per subtask are in flight (default 100) and a full operator stops its task from taking input,
 * so backpressure reaches the sources. `orderedWait` emits results in input order,
 * `unorderedWait` as they arrive, but never across a watermark. A request taking longer than
 * `timeout` milliseconds (0: none) or failing fails the job under its restart strategy, unless
 * the function's `timeout` or a retry strategy handles it. In-flight records are part of
 * checkpoints and are requested again after a restore (results exactly once, calls at least once).
 *
 * The function is either the TypeScript idiom, `async (input) => result | result[]`, or Flink's
 * {@link AsyncFunction} / {@link RichAsyncFunction} with `asyncInvoke(input, resultFuture)`.
 *
 * @example
 * const enriched = AsyncDataStream.orderedWait(
 *   orders,
 *   async (o: Order) => ({ ...o, customer: await (await fetch(`${api}/customers/${o.customer}`)).json() }),
 *   1000, // timeout in ms
 *   100,  // capacity
 * );
 */
import {
  DEFAULT_ASYNC_CAPACITY,
  type AsyncOutputMode,
  type AsyncRetryStrategy,
  type AsyncUserFunction,
  type AsyncWaitSettings,
  type AsyncWaitSpec,
} from '../common/async-function.js';
import { Time, type TimeUnit } from '../common/time.js';
import { JobBuildError } from '../core/errors.js';
import type { DataStream } from './data-stream.js';
import { describeValue } from './function-checks.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';

/** Flink's OutputMode of the async operator. */
export const AsyncDataStreamOutputMode = { ORDERED: 'ordered', UNORDERED: 'unordered' } as const satisfies Record<string, AsyncOutputMode>;

/** The largest capacity accepted (requests in flight per subtask). */
const MAX_CAPACITY = 1_000_000;

/** Timeout and capacity from the argument forms `(timeout, capacity?)` and Flink's `(timeout, TimeUnit, capacity?)`. */
function timing(api: string, timeout: number, unitOrCapacity: TimeUnit | number | undefined, capacity: number | undefined): { timeoutMs: number; capacity: number } {
  let timeoutMs = timeout;
  let cap = capacity;
  if (typeof unitOrCapacity === 'string') timeoutMs = Time.of(timeout, unitOrCapacity);
  else if (unitOrCapacity !== undefined) {
    if (capacity !== undefined) throw new JobBuildError(`${api}() takes (stream, function, timeout, capacity) or (stream, function, timeout, timeUnit, capacity)`);
    cap = unitOrCapacity;
  }
  cap ??= DEFAULT_ASYNC_CAPACITY;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new JobBuildError(`${api}() expects a timeout in milliseconds >= 0 (0: none), got ${String(timeout)}`);
  }
  if (!Number.isInteger(cap) || cap < 1 || cap > MAX_CAPACITY) throw new JobBuildError(`${api}() expects a capacity between 1 and ${MAX_CAPACITY}, got ${String(cap)}`);
  return { timeoutMs, capacity: cap };
}

function requireAsyncFunction(api: string, fn: unknown): void {
  if (typeof fn === 'function') return;
  if (typeof fn === 'object' && fn !== null && typeof (fn as { asyncInvoke?: unknown }).asyncInvoke === 'function') return;
  throw new JobBuildError(`${api}() expects an async function or an AsyncFunction (an object with asyncInvoke(input, resultFuture)), got ${describeValue(fn)}`);
}

function requireRetryStrategy(api: string, s: unknown): void {
  const r = s as Partial<AsyncRetryStrategy<unknown>> | null | undefined;
  if (r && typeof r.canRetry === 'function' && typeof r.getBackoffTimeMillis === 'function' && typeof r.getRetryPredicate === 'function') return;
  throw new JobBuildError(`${api}() expects an AsyncRetryStrategy (AsyncRetryStrategies.fixedDelay(...).ifException(...).build()), got ${describeValue(s)}`);
}

function addAsyncOperator<IN, OUT>(
  api: string,
  mode: AsyncOutputMode,
  stream: DataStream<IN>,
  fn: AsyncUserFunction<IN, OUT>,
  t: { timeoutMs: number; capacity: number },
  retryStrategy: AsyncRetryStrategy<OUT> | undefined,
): SingleOutputStreamOperator<OUT> {
  requireAsyncFunction(api, fn);
  if (retryStrategy !== undefined) requireRetryStrategy(api, retryStrategy);
  const spec: AsyncWaitSpec = { function: fn, retryStrategy: retryStrategy as AsyncRetryStrategy<unknown> | undefined };
  const settings: AsyncWaitSettings = { mode, timeoutMs: t.timeoutMs, capacity: t.capacity };
  // Not keyed even on a keyed stream: requests complete outside their record, where no key is current.
  const node = stream.context.graph.addNode({ kind: 'asyncWait', name: 'Async Wait', userFunction: spec, settings: { ...settings } }, [stream.nodeId]);
  return stream.context.operatorStream<OUT>(node);
}

/** Flink's AsyncDataStream: the async I/O operator in ordered and unordered mode, with and without retries. */
export const AsyncDataStream = {
  /** Results in input order. `timeout` in ms (0: none), or with Flink's TimeUnit; capacity default 100. */
  orderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncUserFunction<IN, OUT>, timeout: number, unitOrCapacity?: TimeUnit | number, capacity?: number): SingleOutputStreamOperator<OUT> {
    return addAsyncOperator('orderedWait', 'ordered', stream, fn, timing('orderedWait', timeout, unitOrCapacity, capacity), undefined);
  },

  /** Results as they arrive (never across a watermark). */
  unorderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncUserFunction<IN, OUT>, timeout: number, unitOrCapacity?: TimeUnit | number, capacity?: number): SingleOutputStreamOperator<OUT> {
    return addAsyncOperator('unorderedWait', 'unordered', stream, fn, timing('unorderedWait', timeout, unitOrCapacity, capacity), undefined);
  },

  /** {@link orderedWait} whose failed or unwanted results are retried by `retryStrategy`. */
  orderedWaitWithRetry<IN, OUT>(
    stream: DataStream<IN>,
    fn: AsyncUserFunction<IN, OUT>,
    timeout: number,
    capacity: number,
    retryStrategy: AsyncRetryStrategy<OUT>,
  ): SingleOutputStreamOperator<OUT> {
    return addAsyncOperator('orderedWaitWithRetry', 'ordered', stream, fn, timing('orderedWaitWithRetry', timeout, capacity, undefined), retryStrategy);
  },

  /** {@link unorderedWait} whose failed or unwanted results are retried by `retryStrategy`. */
  unorderedWaitWithRetry<IN, OUT>(
    stream: DataStream<IN>,
    fn: AsyncUserFunction<IN, OUT>,
    timeout: number,
    capacity: number,
    retryStrategy: AsyncRetryStrategy<OUT>,
  ): SingleOutputStreamOperator<OUT> {
    return addAsyncOperator('unorderedWaitWithRetry', 'unordered', stream, fn, timing('unorderedWaitWithRetry', timeout, capacity, undefined), retryStrategy);
  },
} as const;
