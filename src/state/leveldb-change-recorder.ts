/**
 * The changelog of a LevelDB database between two checkpoints (incremental checkpoints, Flink's
 * FLIP-158 changelog): every put and deletion handed to a write batch since the last snapshot
 * point, last write per key only. A checkpoint's delta is these records followed by the write-back
 * cache's changes not handed to a batch yet (see leveldb-unwritten-capture.ts); restoring the
 * last materialized snapshot and then each delta in order gives the database at the checkpoint.
 *
 * Recording happens where batches are filled (no read, no extra write of the database); values
 * are copied, since the encoder's buffers are reused. The recorder holds at most `maxBytes`:
 * past that it drops what it has and reports itself overflowed, and the next checkpoint is a full
 * one (memory stays bounded when checkpoints are rare or keep failing).
 */
import type { RawRecord } from './native-record-codec.js';

/** Bytes of bookkeeping counted per recorded key besides its key and value. */
const RECORD_OVERHEAD = 64;

/** Records the changes written to one database since the last snapshot point. */
export class LevelDbChangeRecorder {
  private changes = new Map<string, Buffer | undefined>();
  private heldBytes = 0;
  private overflow = false;

  /** @param maxBytes most bytes of changes held before the recorder gives up (then overflowed). */
  constructor(readonly maxBytes: number) {}

  /** A put of `key[0, keyLength)` → `value` was handed to a batch. */
  put(key: Buffer, keyLength: number, value: Buffer): void {
    if (this.overflow) return;
    this.record(key.toString('latin1', 0, keyLength), Buffer.from(value));
  }

  /** A deletion of `key[0, keyLength)` was handed to a batch. */
  delete(key: Buffer, keyLength: number): void {
    if (this.overflow) return;
    this.record(key.toString('latin1', 0, keyLength), undefined);
  }

  private record(id: string, value: Buffer | undefined): void {
    const old = this.changes.get(id);
    if (old !== undefined) this.heldBytes -= old.length;
    else if (!this.changes.has(id)) this.heldBytes += RECORD_OVERHEAD + id.length;
    this.changes.set(id, value);
    if (value !== undefined) this.heldBytes += value.length;
    if (this.heldBytes > this.maxBytes) {
      this.overflow = true;
      this.changes = new Map();
      this.heldBytes = 0;
    }
  }

  /** True once more than `maxBytes` were recorded: the changes are lost, a full snapshot is due. */
  get overflowed(): boolean {
    return this.overflow;
  }

  /** Keys recorded. */
  get size(): number {
    return this.changes.size;
  }

  /** Approximate bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** The recorded changes, one record per key (its last write), in first-write order. */
  records(): RawRecord[] {
    return [...this.iterate()];
  }

  /** The recorded changes, converted to records as they are read. */
  *iterate(): IterableIterator<RawRecord> {
    for (const [id, value] of this.changes) yield [Buffer.from(id, 'latin1'), value];
  }
}

/**
 * A snapshot iterator over a recorder's changes (a delta), in the shape of the database's raw
 * iterator, so a delta file is written like a full one; records are made as they are read (by
 * the asynchronous part, not at the barrier). Deletions have an undefined value. The recorder
 * must no longer record (a new one took its place at the snapshot point).
 */
export class RecordListIterator {
  private source: IterableIterator<RawRecord> | undefined;

  constructor(recorder: LevelDbChangeRecorder) {
    this.source = recorder.iterate();
  }

  /** Up to `size` more records (none at the end). */
  nextv(size: number): Promise<RawRecord[]> {
    const out: RawRecord[] = [];
    const source = this.source;
    if (source) {
      for (let r = source.next(); !r.done; r = source.next()) {
        out.push(r.value);
        if (out.length >= size) break;
      }
    }
    return Promise.resolve(out);
  }

  /** Lets go of the records. */
  close(): Promise<void> {
    this.source = undefined;
    return Promise.resolve();
  }
}
