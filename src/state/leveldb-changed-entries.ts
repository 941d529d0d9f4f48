/**
 * The snapshot epochs of the LevelDB write-back cache and the captures of its unwritten changes
 * (see leveldb-unwritten-capture.ts), with no pass over the entries at the barrier: the cache
 * lists each entry once per epoch, at its first change in it, and a delta capture takes that list
 * over whole; a full capture copies the dirty queue's slots (pointers, no entry touched). An
 * entry the task is about to change or the cache to write is first serialised into every open
 * capture that owes it.
 *
 * Entries that turned clean meanwhile (written: the change recorder has them) are dropped from
 * the list when it grows past twice the dirty entries, so neither a cache without checkpoints nor
 * a long checkpoint interval keeps evicted entries alive through it. The lists' arrays are reused
 * from epoch to epoch: growing a new array of a million entries by `push` every epoch costs
 * several times more than storing into one that already has the room.
 */
import type { KeyWriter } from './key-codec.js';
import type { CacheEntry } from './leveldb-cache-entry.js';
import { UnwrittenCapture, type CapturableEntry, type CapturedTimerOp, type CaptureSettler } from './leveldb-unwritten-capture.js';

/** List entries beyond twice the dirty ones before the list is compacted. */
const COMPACT_SLACK = 4096;

/** The snapshot epoch, its changed entries and the open captures of one cache. */
export class ChangedEntries implements CaptureSettler {
  /** Captures so far + 1; an entry records this epoch when its value changes. */
  epoch = 1;
  private list: (CacheEntry | undefined)[] = [];
  /** Entries in `list` (its first `size` elements; the rest are undefined). */
  private size = 0;
  /** The array of the last closed delta capture, emptied, for a next epoch's list. */
  private spare: (CacheEntry | undefined)[] | undefined;
  private readonly open: UnwrittenCapture[] = [];

  /**
   * Records that `e`'s value changes now; true when it last changed before the last snapshot
   * point (its old value may be in a snapshot).
   */
  change(e: CacheEntry, dirtyCount: number): boolean {
    if (e.changed === this.epoch) return false;
    e.changed = this.epoch;
    this.add(e, dirtyCount);
    return true;
  }

  /**
   * Captures the cache's unwritten changes at a snapshot point and starts the next epoch: a delta
   * capture takes this epoch's list; a full one the dirty queue's slots (`dirtySlots`, a copy).
   */
  capture(w: KeyWriter, delta: boolean, dirtySlots: () => (CacheEntry | undefined)[], timerOps: Iterable<CapturedTimerOp>): UnwrittenCapture {
    const capture = new UnwrittenCapture(w, this.epoch, !delta, this, (c, entries, count) => this.closed(c, entries, count));
    if (delta) {
      capture.adopt(this.list, this.size);
      this.list = this.spare ?? [];
      this.spare = undefined;
    } else {
      const slots = dirtySlots();
      capture.adopt(slots, slots.length);
      // Covered by the full capture: the list starts again, in the same array.
      this.list.fill(undefined, 0, this.size);
    }
    this.size = 0;
    this.open.push(capture);
    capture.addTimerOps(timerOps);
    this.epoch++;
    return capture;
  }

  /** The caller may change or write `e` now: every open capture that owes it serialises it first. */
  settle(e: CacheEntry): void {
    if (this.open.length > 0 && e.changed < this.epoch && e.saved < this.epoch - 1 && e.dirty) this.settleNow(e);
  }

  settleNow(e: CapturableEntry): void {
    for (const c of this.open) if (c.owes(e)) c.serialise(e);
    // Every open capture has it now; captures taken later start above this epoch.
    e.saved = this.epoch - 1;
  }

  /** Lists `e`, changed for the first time in the current epoch. */
  private add(e: CacheEntry, dirtyCount: number): void {
    const list = this.list;
    list[this.size++] = e;
    if (this.size > 2 * dirtyCount + COMPACT_SLACK) {
      let n = 0;
      for (let i = 0; i < this.size; i++) {
        const x = list[i]!;
        // Clean: written, so the change recorder has it; changed again later: listed again then.
        if (x.dirty && x.changed === e.changed) list[n++] = x;
      }
      // Cleared, not shortened: the array keeps its room.
      list.fill(undefined, n, this.size);
      this.size = n;
    }
  }

  /** A capture finished or was discarded: it owes nothing any more; a delta's array is reused. */
  private closed(capture: UnwrittenCapture, entries: (CapturableEntry | undefined)[], count: number): void {
    const i = this.open.indexOf(capture);
    if (i >= 0) this.open.splice(i, 1);
    if (capture.full) return;
    entries.fill(undefined, 0, count);
    // The array handed back is a list of this cache, so of cache entries.
    this.spare = entries as (CacheEntry | undefined)[];
  }
}
