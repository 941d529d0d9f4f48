/**
 * Flink's `DeltaFunction`: the distance between two elements, used by `DeltaTrigger` and
 * `DeltaEvictor`.
 */
import { InvalidArgumentError } from '../../core/errors.js';

/** A function `(oldDataPoint, newDataPoint) => delta`, or an object with `getDelta`. */
export type DeltaFunction<T> = ((oldDataPoint: T, newDataPoint: T) => number) | { getDelta(oldDataPoint: T, newDataPoint: T): number };

/** The delta function as a plain function; refuses anything else in one line. */
export function deltaOf<T>(what: string, fn: DeltaFunction<T>): (oldDataPoint: T, newDataPoint: T) => number {
  if (typeof fn === 'function') return fn;
  if (fn && typeof fn.getDelta === 'function') return (a, b) => fn.getDelta(a, b);
  throw new InvalidArgumentError(`${what}: the delta function must be (old, new) => number or an object with getDelta(old, new)`);
}

/** Refuses a threshold that is not a number. */
export function checkThreshold(what: string, threshold: number): void {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new InvalidArgumentError(`${what}: the threshold must be a number, got ${String(threshold)}`);
  }
}
