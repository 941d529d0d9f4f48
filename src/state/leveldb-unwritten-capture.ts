/**
 * The cache's changes not written to LevelDB at a checkpoint's barrier, captured without
 * serialising them there (copy on access, as Flink's copy-on-write heap snapshots): the
 * synchronous part only marks the dirty entries and copies the list of pending timer writes.
 * An entry's value is serialised into the capture the first time anything could change it (the
 * task looks the entry up, with the intent to read, mutate or replace its value) or when the
 * asynchronous part gets to it, whichever comes first; so the task pauses at the barrier for
 * marking, not for serialising, and the capture still holds each value as it was at the barrier.
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
  /** The capture that still has to serialise this entry's value. */
  capture: UnwrittenCapture | undefined;
}

/** A pending timer write: the timer's key, put or delete. */
export interface CapturedTimerOp {
  readonly key: Buffer;
  readonly put: boolean;
}

/** The unwritten changes of one native snapshot, serialised lazily into records. */
export class UnwrittenCapture {
  private readonly encoder = new NativeRecordEncoder();
  private entries: CapturableEntry[] = [];
  private next = 0;
  private open = true;
  private timerRecords = 0;

  /** @param w key scratch space shared with the cache (used synchronously only). */
  constructor(private readonly w: KeyWriter) {}

  /** Records captured: entries plus timer writes. */
  get records(): number {
    return this.entries.length + this.timerRecords;
  }

  /** Captures every entry of `entries` (the array is kept). */
  addAll(entries: CapturableEntry[]): void {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      // Still owed to an older capture (checkpoints overlap): that one gets it now.
      if (e.capture !== undefined) e.capture.release(e);
      e.capture = this;
    }
    if (this.entries.length === 0) this.entries = entries;
    else for (const e of entries) this.entries.push(e);
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
    return this.next >= this.entries.length;
  }

  /**
   * Serialises up to `max` more captured entries (those not released already) and returns the
   * encoded chunks that are full; the asynchronous part calls it between turns of the event loop.
   */
  drain(max: number): Buffer[] {
    const end = Math.min(this.entries.length, this.next + max);
    for (let i = this.next; i < end; i++) {
      const e = this.entries[i]!;
      if (e.capture === this) this.release(e);
    }
    this.next = end;
    return this.encoder.takeChunks();
  }

  /** Every remaining record, encoded; the capture is complete afterwards. */
  finish(): Buffer[] {
    const chunks = this.drain(Number.POSITIVE_INFINITY);
    this.open = false;
    this.entries.length = 0;
    return [...chunks, ...this.encoder.finish()];
  }

  /** Drops the capture (checkpoint aborted): captured entries are let go unserialised. */
  discard(): void {
    if (!this.open) return;
    this.open = false;
    for (let i = this.next; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.capture === this) e.capture = undefined;
    }
    this.entries.length = 0;
    this.encoder.finish();
  }
}
