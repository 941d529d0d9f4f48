/**
 * How the async operator calls its user function: Flink's `AsyncFunction` shape
 * (`asyncInvoke(input, resultFuture)`, optional `timeout`) and the TypeScript idiom (a function
 * returning a promise of a result, of an array of results, or of undefined) become one
 * `invoke(input, resultFuture)`. Also the runtime context a rich async function gets: without
 * state, as in Flink (requests complete outside the record that started them, where no key is
 * current).
 */
import type { ResultFuture } from '../../common/async-function.js';
import type { RuntimeContext } from '../../common/runtime-context.js';
import { InvalidArgumentError, UnsupportedOperationError } from '../../core/errors.js';

/** The user function, bound once at construction. */
export interface BoundAsyncFunction {
  invoke(input: unknown, resultFuture: ResultFuture<unknown>): void;
  /** The function's own `timeout`, when it has one. */
  timeout: ((input: unknown, resultFuture: ResultFuture<unknown>) => void) | undefined;
}

/** True for a promise or any other thenable. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** What a lambda returned, as records: an array is its elements, undefined none, anything else one. */
export function resultsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined ? [] : [value];
}

/** Binds `fn` (a function, or an object with `asyncInvoke`). */
export function bindAsyncFunction(fn: unknown, operatorName: string): BoundAsyncFunction {
  if (typeof fn === 'function') {
    const call = fn as (input: unknown) => unknown;
    return {
      invoke(input, resultFuture) {
        const r = call(input);
        if (isThenable(r)) {
          r.then(
            (v) => resultFuture.complete(resultsOf(v)),
            (err: unknown) => resultFuture.completeExceptionally(err),
          );
        } else {
          resultFuture.complete(resultsOf(r));
        }
      },
      timeout: undefined,
    };
  }
  if (fn !== null && typeof fn === 'object') {
    const o = fn as { asyncInvoke?: unknown; timeout?: unknown };
    if (typeof o.asyncInvoke === 'function') {
      const invoke = o.asyncInvoke.bind(fn) as BoundAsyncFunction['invoke'];
      const timeout = typeof o.timeout === 'function' ? (o.timeout.bind(fn) as BoundAsyncFunction['timeout']) : undefined;
      return { invoke, timeout };
    }
  }
  throw new InvalidArgumentError(`${operatorName}: expected an async function or an AsyncFunction with asyncInvoke(input, resultFuture)`);
}

const STATE_GETTERS = new Set([
  'getState',
  'getListState',
  'getMapState',
  'getReducingState',
  'getAggregatingState',
  'getOperatorListState',
  'getUnionListState',
]);

/**
 * `context` without state (Flink's RichAsyncFunctionRuntimeContext): every state getter throws
 * one line naming the operator; task information, metrics and parameters work as usual.
 */
export function stateLessRuntimeContext(context: RuntimeContext, operatorName: string): RuntimeContext {
  return new Proxy(context, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && STATE_GETTERS.has(prop)) {
        return () => {
          throw new UnsupportedOperationError(
            `${operatorName}: ${prop}() is not available in an async function: its calls complete outside the record that started them (as in Flink, state is not supported in rich async functions); keep state in a keyed operator before or after it`,
          );
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** A record as one short line for error messages. */
export function describeElement(value: unknown): string {
  let text: string | undefined;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
  } catch {
    // Circular, or a toJSON that throws.
  }
  if (text === undefined) {
    try {
      text = String(value);
    } catch {
      text = `a ${typeof value}`;
    }
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
