/**
 * The cache's changes not written to LevelDB at a checkpoint's barrier, captured without
 * serialising them there (copy on access, as Flink's copy-on-write heap snapshots). An entry's
 * value is serialised into the capture the first time anything could change it (the task looks
 * the entry up, with the intent to read, mutate or replace its value, or the cache writes it to
 * LevelDB) or when the asynchronous part gets to it, whichever comes first; so the capture holds
 * each value as it was at the barrier, and the task pauses there for no serialisation.
 *
 * Two ways to know which entries a capture still owes:
 * - a full capture (every dirty entry) marks each one (`capture`), a pass over them at the barrier;
 * - a delta capture (entries changed since the previous snapshot point, incremental checkpoints)
 *   marks none: it takes over the cache's list of entries changed in its epoch, and an entry is
 *   owed while it is dirty, last changed in that epoch, and not serialised for it (`saved`), so
 *   the barrier costs nothing per entry.
 */
import type { KeyWriter } from './key-codec.js';
import type { StateNamespace } from './keyed-state-backend.js';
import { TIMER_VALUE, writeEntryKey } from './leveldb-key-layout.js';
import { NativeRecordEncoder } from './native-record-codec.js';
import { scalarLength, serializeValue } from './value-codec.js';

/** What the capture needs of a cached entry (see leveldb-write-back-cache.ts). */
export interface CapturableEntry {
  readonly keyGroup: number;
  readonly state: { readonly id: number };
  readonly key: unknown;
  readonly namespace: StateNamespace;
  readonly value: unknown;
  readonly dirty: boolean;
  /** The cache's epoch when the value last changed. */
  readonly changed: number;
  /** The full capture that still has to serialise this entry's value. */
  capture: UnwrittenCapture | undefined;
  /** The epoch of the last delta capture that serialised this entry. */
  saved: number;
}

/** A pending timer write: the timer's key, put or delete. */
export interface CapturedTimerOp {
  readonly key: Buffer;
  readonly put: boolean;
}

/** The unwritten changes of one native snapshot, serialised lazily into records. */
export class UnwrittenCapture {
  private readonly encoder = new NativeRecordEncoder();
  private entries: (CapturableEntry | undefined)[] = [];
  /** Captured entries: the first `count` of `entries` (a delta's array may be longer). */
  private count = 0;
  private next = 0;
  private open = true;
  private timerRecords = 0;

  /**
   * @param w key scratch space shared with the cache (used synchronously only)
   * @param epoch for a delta capture, the epoch whose changed entries it holds
   * @param onClose told once the capture is finished or discarded, with its array of entries
   *   (a delta capture's array is the cache's to reuse)
   */
  constructor(
    private readonly w: KeyWriter,
    readonly epoch?: number,
    private readonly onClose?: (capture: UnwrittenCapture, entries: (CapturableEntry | undefined)[], count: number) => void,
  ) {}

  /** Records captured: entries plus timer writes. */
  get records(): number {
    return this.count + this.timerRecords;
  }

  /** Captures every entry of `entries` (the array is kept). */
  addAll(entries: CapturableEntry[]): void {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      // Still owed to an older capture (checkpoints overlap): that one gets it now.
      if (e.capture !== undefined) e.capture.release(e);
      e.capture = this;
    }
    if (this.count === 0) this.entries = entries;
    else for (const e of entries) this.entries.push(e);
    this.count = this.entries.length;
  }

  /**
   * Takes over the first `count` of `entries`, those changed in this delta capture's epoch (the
   * array is kept; entries clean or changed again by the time they are drained are skipped there).
   */
  adopt(entries: (CapturableEntry | undefined)[], count: number): void {
    this.entries = entries;
    this.count = count;
  }

  /** Encodes pending timer writes as they are now (their keys never change). */
  addTimerOps(ops: Iterable<CapturedTimerOp>): void {
    for (const op of ops) {
      if (op.put) this.encoder.put(op.key, op.key.length, TIMER_VALUE);
      else this.encoder.delete(op.key, op.key.length);
      this.timerRecords++;
    }
  }

  /** Serialises `e`'s value (as captured: it has not changed since) and lets go of it. */
  release(e: CapturableEntry): void {
    e.capture = undefined;
    this.serialise(e);
  }

  /** As {@link release}, for an entry a delta capture owes (see {@link owes}). */
  releaseChanged(e: CapturableEntry): void {
    e.saved = this.epoch!;
    this.serialise(e);
  }

  /** True when this delta capture still has to serialise `e`. */
  owes(e: CapturableEntry): boolean {
    return e.dirty && e.changed === this.epoch && e.saved !== this.epoch;
  }

  private serialise(e: CapturableEntry): void {
    if (!this.open) return;
    const w = this.w.reset();
    writeEntryKey(w, e);
    const n = scalarLength(e.value);
    if (e.value === undefined) this.encoder.delete(w.buf, w.pos);
    else if (n >= 0) this.encoder.putScalar(w.buf, w.pos, e.value, n);
    else this.encoder.put(w.buf, w.pos, serializeValue(e.value));
  }

  /** True once every captured entry is serialised. */
  get drained(): boolean {
    return this.next >= this.count;
  }

  /**
   * Serialises up to `max` more captured entries (those not released already) and returns the
   * encoded chunks that are full; the asynchronous part calls it between turns of the event loop.
   */
  drain(max: number): Buffer[] {
    const end = Math.min(this.count, this.next + max);
    if (this.epoch === undefined) {
      for (let i = this.next; i < end; i++) {
        const e = this.entries[i]!;
        if (e.capture === this) this.release(e);
      }
    } else {
      for (let i = this.next; i < end; i++) {
        const e = this.entries[i]!;
        if (this.owes(e)) this.releaseChanged(e);
      }
    }
    this.next = end;
    return this.encoder.takeChunks();
  }

  /** Every remaining record, encoded; the capture is complete afterwards. */
  finish(): Buffer[] {
    const chunks = this.drain(Number.POSITIVE_INFINITY);
    this.close();
    return [...chunks, ...this.encoder.finish()];
  }

  /** Drops the capture (checkpoint aborted): captured entries are let go unserialised. */
  discard(): void {
    if (!this.open) return;
    if (this.epoch === undefined) {
      for (let i = this.next; i < this.count; i++) {
        const e = this.entries[i]!;
        if (e.capture === this) e.capture = undefined;
      }
    }
    this.close();
    this.encoder.finish();
  }

  private close(): void {
    this.open = false;
    const { entries, count } = this;
    this.entries = [];
    this.count = 0;
    this.onClose?.(this, entries, count);
  }
}
