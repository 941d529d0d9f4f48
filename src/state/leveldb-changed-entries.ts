/**
 * Which cache entries incremental checkpoints' delta captures still owe, without a pass over the
 * entries at the barrier: the cache lists each entry once per epoch, at its first change in it,
 * and a delta capture takes the list of its epoch over whole (see leveldb-unwritten-capture.ts).
 * Entries that turned clean meanwhile (written: the change recorder has them) are dropped from
 * the list when it grows past twice the dirty entries, so neither a cache without checkpoints
 * nor a long checkpoint interval keeps evicted entries alive through it. The lists' arrays are
 * reused from epoch to epoch: growing a new array of a million entries by `push` every epoch
 * costs several times more than storing into one that already has the room.
 */
import type { KeyWriter } from './key-codec.js';
import type { CacheEntry } from './leveldb-cache-entry.js';
import type { CapturedTimerOp } from './leveldb-unwritten-capture.js';
import { UnwrittenCapture } from './leveldb-unwritten-capture.js';

/** List entries beyond twice the dirty ones before the list is compacted. */
const COMPACT_SLACK = 4096;

/** The snapshot epoch, its changed entries and the open delta captures of one cache. */
export class ChangedEntries {
  /** Captures so far + 1; an entry records this epoch when its value changes. */
  epoch = 1;
  private list: (CacheEntry | undefined)[] = [];
  /** Entries in `list` (its first `size` elements; the rest are undefined). */
  private size = 0;
  /** The array of the last closed delta capture, emptied, for the next epoch's list. */
  private spare: (CacheEntry | undefined)[] | undefined;
  private readonly open: UnwrittenCapture[] = [];
  /** The lowest epoch an open delta capture holds (none: never reached): entries changed before it owe nothing. */
  openFrom = Number.MAX_SAFE_INTEGER;

  /**
   * Records that `e`'s value changes now; true when it last changed before the last snapshot
   * point (its old value may be in a snapshot's delta).
   */
  change(e: CacheEntry, dirtyCount: number): boolean {
    if (e.changed === this.epoch) return false;
    e.changed = this.epoch;
    this.add(e, dirtyCount);
    return true;
  }

  /**
   * Captures the cache's unwritten changes at a snapshot point and starts the next epoch: a delta
   * capture takes this epoch's list; a full one marks every dirty entry.
   */
  capture(w: KeyWriter, delta: boolean, dirtyEntries: () => CacheEntry[], timerOps: Iterable<CapturedTimerOp>): UnwrittenCapture {
    let capture: UnwrittenCapture;
    if (delta) {
      // The array handed back is this list, so of cache entries.
      capture = new UnwrittenCapture(w, this.epoch, (c, entries, count) => this.closed(c, entries as (CacheEntry | undefined)[], count));
      capture.adopt(this.list, this.size);
      this.list = this.spare ?? [];
      this.spare = undefined;
      this.size = 0;
      this.open.push(capture);
      this.openFrom = Math.min(this.openFrom, this.epoch);
    } else {
      capture = new UnwrittenCapture(w);
      capture.addAll(dirtyEntries());
      // Covered by the full capture: the list starts again, in the same array.
      this.list.fill(undefined, 0, this.size);
      this.size = 0;
    }
    capture.addTimerOps(timerOps);
    this.epoch++;
    return capture;
  }

  /** The caller may change or write `e` now: a capture that owes it serialises it first. */
  settle(e: CacheEntry): void {
    if (e.capture !== undefined) e.capture.release(e);
    // Not `else`: a full capture taken while an older delta is still written owes it too.
    if (e.changed >= this.openFrom && e.changed < this.epoch) for (const c of this.open) if (c.owes(e)) c.releaseChanged(e);
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

  /** A delta capture finished or was discarded: it owes nothing any more; its array is reused. */
  private closed(capture: UnwrittenCapture, entries: (CacheEntry | undefined)[], count: number): void {
    entries.fill(undefined, 0, count);
    this.spare = entries;
    const i = this.open.indexOf(capture);
    if (i >= 0) this.open.splice(i, 1);
    let from = Number.MAX_SAFE_INTEGER;
    for (const c of this.open) from = Math.min(from, c.epoch!);
    this.openFrom = from;
  }
}
