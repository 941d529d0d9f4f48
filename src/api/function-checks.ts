/**
 * Eager validation of user functions: a function of the wrong shape fails while the job is
 * built, naming the API call, instead of failing inside a running task.
 */
import { JobBuildError } from '../core/errors.js';

/** A short description of what was passed, for error messages. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') {
    const ctor = (x as object).constructor;
    return ctor && ctor !== Object ? `an instance of ${ctor.name}` : 'an object without that method';
  }
  return typeof x === 'undefined' ? 'undefined' : `a ${typeof x}`;
}

/** Requires a lambda or an object with `method`. */
export function requireFunctionOrMethod(api: string, fn: unknown, method: string): void {
  if (typeof fn === 'function') return;
  if (typeof fn === 'object' && fn !== null && typeof (fn as Record<string, unknown>)[method] === 'function') return;
  throw new JobBuildError(`${api}() expects a function or an object with a ${method}() method, got ${describeValue(fn)}`);
}

/** Requires an object with `method` (class-based functions such as ProcessFunction). */
export function requireMethod(api: string, fn: unknown, method: string, what: string): void {
  if (typeof fn === 'object' && fn !== null && typeof (fn as Record<string, unknown>)[method] === 'function') return;
  throw new JobBuildError(`${api}() expects ${what} (an object with a ${method}() method), got ${describeValue(fn)}`);
}

/** Requires a positive integer parallelism. */
export function requireParallelism(what: string, p: number): void {
  if (!Number.isInteger(p) || p < 1) throw new JobBuildError(`${what} must be a positive integer, got ${p}`);
}
