/**
 * A Bloom filter over serialised state keys: the write-back cache adds every key it hands to a
 * LevelDB batch, so a cache miss whose key the filter has never seen is known absent without a
 * synchronous LevelDB read (new keys and new windows are the common miss). False positives only
 * cost the read the cache would have made anyway; there are no false negatives.
 */

/** Hash probes per key. */
const PROBES = 3;

/** A fixed-size Bloom filter of byte strings. */
export class KeyBloomFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** `bytes`: memory of the bit array, rounded down to a power of two (at least 1 KiB). */
  constructor(bytes: number) {
    let size = 1024;
    while (size * 2 <= bytes) size *= 2;
    this.bits = new Uint32Array(size / 4);
    this.mask = size * 8 - 1;
  }

  /** Records `buf[0, end)`. */
  add(buf: Uint8Array, end: number): void {
    let h1 = hash1(buf, end);
    const h2 = hash2(buf, end) | 1;
    for (let i = 0; i < PROBES; i++) {
      const bit = h1 & this.mask;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
      h1 = (h1 + h2) | 0;
    }
  }

  /** False when `buf[0, end)` was certainly never added. */
  mightContain(buf: Uint8Array, end: number): boolean {
    let h1 = hash1(buf, end);
    const h2 = hash2(buf, end) | 1;
    for (let i = 0; i < PROBES; i++) {
      const bit = h1 & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
      h1 = (h1 + h2) | 0;
    }
    return true;
  }
}

/** FNV-1a, 32 bits. */
function hash1(buf: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h ^ (h >>> 15);
}

/** A second, independent multiplicative hash (murmur3 finaliser per byte mix). */
function hash2(buf: Uint8Array, end: number): number {
  let h = 0x9747b28c ^ end;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x5bd1e995) ^ (h >>> 13);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
