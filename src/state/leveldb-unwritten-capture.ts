/**
 * The cache's changes not written to LevelDB at a checkpoint's barrier, captured without
 * serialising them there (copy on access, as Flink's copy-on-write heap snapshots). An entry's
 * value is serialised into the capture the first time anything could change it (the task looks
 * the entry up, with the intent to read, mutate or replace its value, or the cache writes it to
 * LevelDB) or when the asynchronous part gets to it, whichever comes first; so the capture holds
 * each value as it was at the barrier, and the task pauses there for no serialisation.
 *
 * No entry is marked at the barrier (a pass over every changed entry there cost as much as
 * serialising them): capture `c` is the cache's snapshot epoch `c`, and an entry is owed while it
 * is dirty, was last changed in epoch `c` (a delta: incremental checkpoints) or in any epoch up to
 * `c` (a full capture), and no capture serialised it since (`saved` < `c`). The capture keeps an
 * array of candidates to drain: the cache's list of the entries changed in its epoch (a delta), or
 * a copy of the dirty queue's slots (full).
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
  /** The epoch of the latest capture when the entry was last serialised into the open captures. */
  saved: number;
}

/** The open captures of one cache, which serialise an entry into every one that owes it. */
export interface CaptureSettler {
  /** Serialises `e` into every open capture that owes it (see {@link UnwrittenCapture.owes}). */
  settleNow(e: CapturableEntry): void;
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
  /** Candidates: the first `count` of `entries` (the array may be longer; undefined slots are skipped). */
  private count = 0;
  private next = 0;
  private open = true;
  /** Records encoded so far: entries and timer writes. */
  private encoded = 0;

  /**
   * @param w key scratch space shared with the cache (used synchronously only)
   * @param epoch the snapshot epoch this capture ends
   * @param full every dirty entry changed up to `epoch`, else only those changed in it
   * @param settler the cache's open captures (an entry is serialised into all that owe it at once)
   * @param onClose told once the capture is finished or discarded, with its array of candidates
   */
  constructor(
    private readonly w: KeyWriter,
    readonly epoch: number,
    readonly full: boolean,
    private readonly settler: CaptureSettler,
    private readonly onClose: (capture: UnwrittenCapture, entries: (CapturableEntry | undefined)[], count: number) => void,
  ) {}

  /**
   * Records the capture holds: entries and timer writes encoded so far, plus the candidates still
   * owed (a pass over them: for tests and diagnostics, not for the hot path).
   */
  get records(): number {
    let owed = 0;
    for (let i = this.next; i < this.count; i++) {
      const e = this.entries[i];
      if (e !== undefined && this.owes(e)) owed++;
    }
    return this.encoded + owed;
  }

  /** Takes the first `count` of `entries` as the candidates to drain (the array is kept). */
  adopt(entries: (CapturableEntry | undefined)[], count: number): void {
    this.entries = entries;
    this.count = count;
  }

  /** Encodes pending timer writes as they are now (their keys never change). */
  addTimerOps(ops: Iterable<CapturedTimerOp>): void {
    for (const op of ops) {
      if (op.put) this.encoder.put(op.key, op.key.length, TIMER_VALUE);
      else this.encoder.delete(op.key, op.key.length);
      this.encoded++;
    }
  }

  /** True when this capture still has to serialise `e` (its value is still the one at the barrier). */
  owes(e: CapturableEntry): boolean {
    return this.open && e.dirty && e.saved < this.epoch && (this.full ? e.changed <= this.epoch : e.changed === this.epoch);
  }

  /** Serialises `e`'s value (the caller checked {@link owes}). */
  serialise(e: CapturableEntry): void {
    const w = this.w.reset();
    writeEntryKey(w, e);
    const n = scalarLength(e.value);
    if (e.value === undefined) this.encoder.delete(w.buf, w.pos);
    else if (n >= 0) this.encoder.putScalar(w.buf, w.pos, e.value, n);
    else this.encoder.put(w.buf, w.pos, serializeValue(e.value));
    this.encoded++;
  }

  /** True once every candidate is serialised or skipped. */
  get drained(): boolean {
    return this.next >= this.count;
  }

  /**
   * Serialises up to `max` more candidates (those still owed) and returns the encoded chunks that
   * are full; the asynchronous part calls it between turns of the event loop.
   */
  drain(max: number): Buffer[] {
    const end = Math.min(this.count, this.next + max);
    const entries = this.entries;
    for (let i = this.next; i < end; i++) {
      const e = entries[i];
      if (e !== undefined && this.owes(e)) this.settler.settleNow(e);
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

  /** Drops the capture (checkpoint aborted): it owes nothing any more. */
  discard(): void {
    if (!this.open) return;
    this.close();
    this.encoder.finish();
  }

  private close(): void {
    this.open = false;
    const { entries, count } = this;
    this.entries = [];
    this.count = 0;
    this.onClose(this, entries, count);
  }
}
