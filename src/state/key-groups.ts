/**
 * Key groups, as in Flink: `keyGroup = murmur(hash(key)) % maxParallelism`, and each subtask
 * owns the contiguous range of key groups `[start, end]`. State is partitioned by key group,
 * which is what makes rescaling from a savepoint possible. Pure functions.
 */

import { InvalidArgumentError } from '../core/errors.js';

/** Flink's lower bound for the default max parallelism. */
export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128;
/** Flink's upper bound for max parallelism. */
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

/** An inclusive range of key groups. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

/** Java's `String.hashCode`, so string keys spread like they do in Flink. */
export function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

const f64 = new Float64Array(1);
const f64Words = new Int32Array(f64.buffer);

/** A 32-bit hash of any key: strings, numbers, booleans, bigints, arrays and plain objects. */
export function keyHash(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return stringHash(key);
    case 'number':
      if (Number.isInteger(key) && key >= -2147483648 && key <= 2147483647) return key | 0;
      f64[0] = key;
      return (f64Words[0]! ^ f64Words[1]!) | 0;
    case 'boolean':
      return key ? 1231 : 1237;
    case 'bigint':
      return stringHash(key.toString());
    case 'undefined':
      return 0;
    case 'object': {
      if (key === null) return 0;
      if (Array.isArray(key)) {
        let h = 1;
        for (const k of key) h = (Math.imul(h, 31) + keyHash(k)) | 0;
        return h;
      }
      if (key instanceof Date) return keyHash(key.getTime());
      let h = 7;
      for (const name of Object.keys(key).sort()) {
        h = (Math.imul(h, 31) + stringHash(name)) | 0;
        h = (Math.imul(h, 31) + keyHash((key as Record<string, unknown>)[name])) | 0;
      }
      return h;
    }
    default:
      throw new InvalidArgumentError(`cannot use a ${typeof key} as a key`);
  }
}

/** Flink's `MathUtils.murmurHash(int)`: murmur3 mixing of one int, non-negative result. */
export function murmurHash(code: number): number {
  let k = Math.imul(code, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  if (h >= 0) return h;
  if (h !== -2147483648) return -h;
  return 0;
}

/** The key group of `key`. */
export function assignToKeyGroup(key: unknown, maxParallelism: number): number {
  return murmurHash(keyHash(key)) % maxParallelism;
}

/** The subtask that owns `keyGroup`. */
export function computeOperatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The subtask that owns `key`. */
export function assignKeyToParallelOperator(key: unknown, maxParallelism: number, parallelism: number): number {
  return computeOperatorIndexForKeyGroup(maxParallelism, parallelism, assignToKeyGroup(key, maxParallelism));
}

/** The key groups owned by subtask `operatorIndex` (inverse of the mapping above). */
export function keyGroupRangeForOperator(maxParallelism: number, parallelism: number, operatorIndex: number): KeyGroupRange {
  if (parallelism > maxParallelism) throw new InvalidArgumentError(`parallelism ${parallelism} exceeds max parallelism ${maxParallelism}`);
  const start = Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism);
  return { start, end };
}

/** Flink's default max parallelism: `roundUpToPowerOfTwo(p + p / 2)` within [128, 32768]. */
export function defaultMaxParallelism(parallelism: number): number {
  const target = parallelism + Math.floor(parallelism / 2);
  let pow = 1;
  while (pow < target) pow *= 2;
  return Math.min(Math.max(pow, DEFAULT_LOWER_BOUND_MAX_PARALLELISM), UPPER_BOUND_MAX_PARALLELISM);
}
