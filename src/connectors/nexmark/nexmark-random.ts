/**
 * Deterministic randomness for the Nexmark generator: one small PRNG, re-seeded for every
 * event from (seed, event number), so any event can be generated on its own — by any
 * subtask, after any restore — and always comes out the same.
 *
 * Strings are cut from two fixed pools of random characters instead of being built one
 * character at a time: `pool.substring(off, off + len)` makes V8 share the pool's memory for
 * long strings, so an `extra` of 100-500 bytes costs one small allocation.
 */

/** A mulberry32 generator whose state is reset per event. Not thread-shared: one per generator. */
export class EventRandom {
  private state = 0;

  /** Seeds the stream of event `n` (an integer below 2^53). */
  reset(seed: number, n: number): void {
    const lo = n >>> 0;
    const hi = Math.floor(n / 4294967296) >>> 0;
    this.state = fmix32(lo ^ fmix32(hi ^ Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d)));
  }

  /** A uniform double in [0, 1). */
  nextDouble(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.nextDouble() * bound);
  }
}

/** murmur3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const POOL_SIZE = 1 << 16;

function buildPool(seed: number, spaced: boolean): string {
  const rnd = new EventRandom();
  rnd.reset(seed, 0);
  const chars = new Array<string>(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) {
    // As the reference: a space with probability 1/13 in names and descriptions.
    chars[i] = spaced && rnd.nextInt(13) === 0 ? ' ' : String.fromCharCode(97 + rnd.nextInt(26));
  }
  return chars.join('');
}

// Built on first use, not at import: every `fluss` process loads this module with its entry
// points, and only Nexmark jobs need the pools.
/** Lower-case letters only (`extra` padding). */
let letters: string | undefined;
/** Letters with occasional spaces (names, descriptions). */
let spaced: string | undefined;

/** A random string of 3 to `maxLength - 1` characters, trimmed (reference `nextString`). */
export function nextString(rnd: EventRandom, maxLength: number): string {
  const len = 3 + rnd.nextInt(maxLength - 3);
  const off = rnd.nextInt(POOL_SIZE - len);
  return (spaced ??= buildPool(0x5ace, true)).substring(off, off + len).trim();
}

/** A random string of letters of exactly `length` characters. */
export function nextExactString(rnd: EventRandom, length: number): string {
  const off = rnd.nextInt(POOL_SIZE - length);
  return (letters ??= buildPool(0x1e77e45, false)).substring(off, off + length);
}

/**
 * Padding such that `currentSize + result.length` averages `desiredAverageSize`: a length
 * uniform within ±20 % of the remainder (reference `nextExtra`).
 */
export function nextExtra(rnd: EventRandom, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return '';
  const remaining = desiredAverageSize - currentSize;
  const delta = Math.round(remaining * 0.2);
  const size = remaining - delta + (delta === 0 ? 0 : rnd.nextInt(2 * delta));
  return nextExactString(rnd, size);
}

/** A log-uniform price in cents between 1 and 10^8 (reference `PriceGenerator`). */
export function nextPrice(rnd: EventRandom): number {
  return Math.round(Math.pow(10, rnd.nextDouble() * 6) * 100);
}
