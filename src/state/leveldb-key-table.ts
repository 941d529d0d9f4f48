/**
 * The write-back cache's index of entries by key identity, one per state and namespace: an
 * open-addressing hash table (linear probing, deletion by shifting back, no tombstones). A JS
 * Map under the cache's churn — every new key inserted, an old one deleted — rehashes into a
 * freshly allocated table every few thousand operations and costs about five times as much per
 * key once it holds ten thousand entries; this one never rehashes at a steady size.
 */
import { keyHash } from './key-groups.js';
import type { CacheEntry } from './leveldb-cache-entry.js';

/** A well-spread 32-bit hash of a key identity (string, number, boolean, null, undefined). */
export function keyIdHash(keyId: unknown): number {
  // murmur3's finaliser over the key-group hash: sequential ids and short strings differ in their low bits otherwise.
  let h = keyHash(keyId);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Entries by key identity (as `Map<unknown, CacheEntry>`, keyed by `entry.keyId`). */
export class KeyTable {
  private hashes: Int32Array;
  private slots: (CacheEntry | undefined)[];
  private mask: number;
  /** Entries in the table. */
  size = 0;

  constructor(capacity = 8) {
    this.hashes = new Int32Array(capacity);
    this.slots = new Array<CacheEntry | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  /** The entry of `keyId`, undefined when none. */
  get(keyId: unknown): CacheEntry | undefined {
    const h = keyIdHash(keyId);
    const { hashes, slots, mask } = this;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i];
      if (e === undefined) return undefined;
      if (hashes[i] === h && sameKey(e.keyId, keyId)) return e;
    }
  }

  /** Adds `e` under `e.keyId`, which must not be in the table. */
  add(e: CacheEntry): void {
    if (2 * (this.size + 1) > this.slots.length) this.resize(2 * this.slots.length);
    this.place(e, keyIdHash(e.keyId));
    this.size++;
  }

  /** Removes the entry of `keyId`; false when there was none. */
  delete(keyId: unknown): boolean {
    const h = keyIdHash(keyId);
    const { hashes, slots, mask } = this;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const e = slots[i];
      if (e === undefined) return false;
      if (hashes[i] === h && sameKey(e.keyId, keyId)) break;
    }
    // Shift later entries of the probe run back into the hole, unless that moves one before its home slot.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const e = slots[j];
      if (e === undefined) break;
      const home = hashes[j]! & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[i] = e;
        hashes[i] = hashes[j]!;
        i = j;
      }
    }
    slots[i] = undefined;
    this.size--;
    return true;
  }

  /** Removes every entry (the capacity stays). */
  clear(): void {
    this.slots.fill(undefined);
    this.size = 0;
  }

  private place(e: CacheEntry, h: number): void {
    const { slots, mask } = this;
    let i = h & mask;
    while (slots[i] !== undefined) i = (i + 1) & mask;
    slots[i] = e;
    this.hashes[i] = h;
  }

  private resize(capacity: number): void {
    const old = this.slots;
    const oldHashes = this.hashes;
    this.hashes = new Int32Array(capacity);
    this.slots = new Array<CacheEntry | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i++) if (old[i] !== undefined) this.place(old[i]!, oldHashes[i]!);
  }
}

/** Map's SameValueZero on key identities (NaN is one key). */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}
