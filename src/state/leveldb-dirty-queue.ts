/**
 * The order in which the write-back cache writes dirty entries: each entry is queued once, when
 * it turns dirty (`queued` marks it), and written oldest first. An entry that turns clean
 * another way (evicted and written, or removed before it was ever stored) keeps its slot until
 * the head passes it; slots of clean entries are dropped from the head at once, and the whole
 * queue is compacted when they outnumber the dirty ones, so evicted entries are not kept alive
 * by the queue however long no batch of dirty entries is due.
 *
 * A ring buffer that only grows: a queue that empties and fills again (every batch of dirty
 * entries) reuses its room instead of growing a new array by `push`, which costs several times
 * more per entry once the array is large.
 */
import type { CacheEntry } from './leveldb-cache-entry.js';

/** Initial room of the ring (a power of two). */
const INITIAL_ROOM = 1024;

/** FIFO of dirty cache entries. */
export class DirtyQueue {
  private ring: (CacheEntry | undefined)[] = new Array<CacheEntry | undefined>(INITIAL_ROOM).fill(undefined);
  private mask = INITIAL_ROOM - 1;
  /** Index of the oldest slot. */
  private head = 0;
  /** Slots in use (dirty entries and clean ones not dropped yet). */
  private length = 0;
  /** Entries that are dirty now (each is in the queue). */
  dirtyCount = 0;

  /** Queues `e`, which just turned dirty, unless it has a slot already. */
  push(e: CacheEntry): void {
    if (e.queued) return;
    e.queued = true;
    if (this.length === this.ring.length) this.grow();
    this.ring[(this.head + this.length++) & this.mask] = e;
  }

  /** Removes and returns the oldest dirty entry, undefined when none is left. */
  shift(): CacheEntry | undefined {
    while (this.length > 0) {
      const e = this.takeHead();
      if (e.dirty) return e;
    }
    return undefined;
  }

  /**
   * A copy of the slots, in no particular order, undefined where free: every dirty entry is in
   * it (with clean ones not dropped yet). Copies pointers only, no entry is read.
   */
  slots(): (CacheEntry | undefined)[] {
    return this.ring.slice();
  }

  /**
   * After an entry turned clean outside {@link shift}: drops clean slots from the head, and
   * compacts when clean slots are the majority.
   */
  cleaned(): void {
    while (this.length > 0 && !this.ring[this.head]!.dirty) this.takeHead();
    if (this.length <= 2 * this.dirtyCount + 4096) return;
    // Compacted in place, oldest first: dirty entries move towards the head.
    const { ring, mask, head } = this;
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const slot = (head + i) & mask;
      const e = ring[slot]!;
      ring[slot] = undefined;
      if (e.dirty) ring[(head + kept++) & mask] = e;
      else e.queued = false;
    }
    this.length = kept;
  }

  /** Forgets every entry (the cache dropped them all). */
  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.length = 0;
    this.dirtyCount = 0;
  }

  private takeHead(): CacheEntry {
    const e = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    e.queued = false;
    return e;
  }

  /** Doubles the room, the slots in order from index 0. */
  private grow(): void {
    const old = this.ring;
    const ring = new Array<CacheEntry | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.length; i++) ring[i] = old[(this.head + i) & this.mask];
    this.ring = ring;
    this.mask = ring.length - 1;
    this.head = 0;
  }
}
