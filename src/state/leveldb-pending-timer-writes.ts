/**
 * Timer writes of the LevelDB write-back cache not handed to a batch yet, by encoded timer key:
 * only the last write of a key matters. A put says whether the database may hold the timer
 * already: the timer service knows that its in-memory head holds every live timer below its
 * horizon, so a put of a new timer there, with no pending write of its key, is of a timer the
 * database does not hold, and deleting it before the put is handed over cancels both (fired or
 * deleted timers of expired windows would otherwise ride along in every checkpoint as a put and
 * a deletion until the next write). A put beyond the horizon is "maybe stored": its deletion
 * is always written.
 */
import type { KeyWriter } from './key-codec.js';
import { TIMER_VALUE } from './leveldb-key-layout.js';
import type { LevelDbChangeRecorder } from './leveldb-change-recorder.js';
import type { StoreBatch } from './leveldb-store.js';
import type { CapturedTimerOp } from './leveldb-unwritten-capture.js';

/** Approximate cost of one pending timer write. */
const TIMER_OP_OVERHEAD = 96;

/** A pending timer write; `stored`: the database (as of the batches handed over) holds the timer. */
interface PendingTimerOp extends CapturedTimerOp {
  put: boolean;
  readonly stored: boolean;
}

/** The pending timer writes of one cache. */
export class PendingTimerWrites {
  private ops = new Map<string, PendingTimerOp>();

  /**
   * Queues a put or deletion of the timer key in `w`; returns the change of bytes held.
   * `maybeStored`: a put of a timer the database may hold already.
   */
  queue(w: KeyWriter, put: boolean, maybeStored = false): number {
    const id = w.buf.toString('latin1', 0, w.pos);
    const pending = this.ops.get(id);
    if (pending !== undefined) {
      if (!put && !pending.stored) {
        this.ops.delete(id);
        return -(TIMER_OP_OVERHEAD + w.pos);
      }
      pending.put = put;
      return 0;
    }
    this.ops.set(id, { key: w.toBuffer(), put, stored: !put || maybeStored });
    return TIMER_OP_OVERHEAD + w.pos;
  }

  /** The pending writes, for a checkpoint's capture. */
  values(): Iterable<CapturedTimerOp> {
    return this.ops.values();
  }

  /** Hands every pending write to `batch` (and reports it to `changes`); returns the bytes they held. */
  writeTo(batch: StoreBatch, changes?: LevelDbChangeRecorder): number {
    let bytes = 0;
    for (const op of this.ops.values()) {
      if (op.put) batch.put(op.key, TIMER_VALUE);
      else batch.del(op.key);
      if (changes) {
        if (op.put) changes.put(op.key, op.key.length, TIMER_VALUE);
        else changes.delete(op.key, op.key.length);
      }
      bytes += TIMER_OP_OVERHEAD + op.key.length;
    }
    this.ops = new Map();
    return bytes;
  }
}
