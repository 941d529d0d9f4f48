/**
 * The check that a synchronous operator function (`map`, `flatMap`, `filter`, `process`, a
 * sink function) did not return a promise: `stream.map(async (x) => …)` would otherwise send
 * promises downstream as records. It fails the job at the first such record, pointing to
 * AsyncDataStream. Callers test `typeof` first, so the hot path costs one comparison.
 */
import { InvalidArgumentError, UserCodeError } from '../../core/errors.js';
import { isThenable } from './async-invocation.js';

/** The failure of `operatorName` whose `method` returned `result`, or undefined when `result` is not a thenable. */
export function promiseReturned(operatorName: string, method: string, result: unknown): UserCodeError | undefined {
  if (!isThenable(result)) return undefined;
  // Its outcome is nobody's now: a later rejection must not become an unhandled one.
  Promise.resolve(result).catch(() => undefined);
  return new UserCodeError(
    operatorName,
    new InvalidArgumentError(
      `${method}() returned a Promise, but operator functions run synchronously, once per record; call asynchronous services with AsyncDataStream.orderedWait(stream, fn, timeoutMs) or AsyncDataStream.unorderedWait(...)`,
    ),
  );
}
