/**
 * The order in which the write-back cache writes dirty entries: each entry is queued once, when
 * it turns dirty (`queued` marks it), and written oldest first. An entry that turns clean
 * another way (evicted and written, or removed before it was ever stored) keeps its slot until
 * the head passes it; slots of clean entries are dropped from the head at once, and the whole
 * queue is compacted when they outnumber the dirty ones, so evicted entries are not kept alive
 * by the queue however long no batch of dirty entries is due.
 */
import type { CacheEntry } from './leveldb-cache-entry.js';

/** Slots past the head before the array is sliced (the slots before it are spent). */
const SLICE_AFTER = 65_536;

/** FIFO of dirty cache entries. */
export class DirtyQueue {
  private q: (CacheEntry | undefined)[] = [];
  private head = 0;
  /** Entries that are dirty now (each is in the queue). */
  dirtyCount = 0;

  /** Queues `e`, which just turned dirty, unless it has a slot already. */
  push(e: CacheEntry): void {
    if (e.queued) return;
    e.queued = true;
    this.q.push(e);
  }

  /** Removes and returns the oldest dirty entry, undefined when none is left. */
  shift(): CacheEntry | undefined {
    const q = this.q;
    while (this.head < q.length) {
      const e = q[this.head]!;
      q[this.head++] = undefined;
      e.queued = false;
      if (e.dirty) {
        this.trim();
        return e;
      }
    }
    this.trim();
    return undefined;
  }

  /** The entries that are dirty now, oldest first (a copy). */
  dirtyEntries(): CacheEntry[] {
    const q = this.q;
    const out: CacheEntry[] = [];
    for (let i = this.head; i < q.length; i++) {
      const e = q[i]!;
      if (e.dirty) out.push(e);
    }
    return out;
  }

  /**
   * After an entry turned clean outside {@link shift}: drops clean slots from the head, and
   * compacts when clean slots are the majority.
   */
  cleaned(): void {
    const q = this.q;
    while (this.head < q.length && !q[this.head]!.dirty) {
      q[this.head]!.queued = false;
      q[this.head++] = undefined;
    }
    if (q.length - this.head > 2 * this.dirtyCount + 4096) {
      const kept: CacheEntry[] = [];
      for (let i = this.head; i < q.length; i++) {
        const e = q[i]!;
        if (e.dirty) kept.push(e);
        else e.queued = false;
      }
      this.q = kept;
      this.head = 0;
      return;
    }
    this.trim();
  }

  /** Forgets every entry (the cache dropped them all). */
  clear(): void {
    this.q = [];
    this.head = 0;
    this.dirtyCount = 0;
  }

  private trim(): void {
    if (this.head === this.q.length) {
      this.q = [];
      this.head = 0;
    } else if (this.head > SLICE_AFTER && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
  }
}
