/**
 * One local LevelDB database (classic-level) holding the keyed state of one operator in one
 * subtask: synchronous point reads (`getSync`), batches written in the background strictly in
 * submission order (chained: LevelDB's worker threads would otherwise apply them in any order),
 * range iterators (each reads an implicit snapshot taken when it is created), and removal of
 * the whole directory when the task ends. The cache above it lives in
 * {@link LevelDbWriteBackCache}.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { StateBackendError } from './state-errors.js';

type Db = ClassicLevel<Buffer, Buffer>;

/** A batch of writes being assembled. */
export type StoreBatch = ReturnType<Db['batch']>;

/** Options of {@link LevelDbStore.open}. */
export interface LevelDbStoreOptions {
  /** Directory of the database; anything left there is removed first. */
  path: string;
  /** LevelDB's own block cache in bytes (default 8 MiB). */
  blockCacheBytes?: number;
  /** LevelDB's memtable size in bytes (default 16 MiB). */
  writeBufferBytes?: number;
}

/** LevelDB with synchronous reads and ordered background batch writes. */
export class LevelDbStore {
  private submitted = 0;
  private written = 0;
  private writing: Promise<void> = Promise.resolve();
  private writeError: Error | undefined;
  private closed = false;

  private constructor(readonly path: string, private readonly db: Db) {}

  /** Opens a fresh database at `options.path` (state is restored from checkpoints, never from here). */
  static async open(options: LevelDbStoreOptions): Promise<LevelDbStore> {
    const { path } = options;
    try {
      rmSync(path, { recursive: true, force: true });
      mkdirSync(path, { recursive: true });
      const db = new ClassicLevel<Buffer, Buffer>(path, {
        keyEncoding: 'buffer',
        valueEncoding: 'buffer',
        cacheSize: options.blockCacheBytes ?? 8 * 1024 * 1024,
        writeBufferSize: options.writeBufferBytes ?? 16 * 1024 * 1024,
      });
      await db.open();
      return new LevelDbStore(path, db);
    } catch (cause) {
      throw new StateBackendError(`cannot open the state database at ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  /** The stored value of `key`, or undefined (synchronous). */
  getSync(key: Buffer): Buffer | undefined {
    this.throwIfFailed();
    return this.db.getSync(key) ?? undefined;
  }

  /** A new batch; hand it to {@link submit}. */
  batch(): StoreBatch {
    this.throwIfFailed();
    return this.db.batch();
  }

  /** Sequence number the next submitted batch gets. */
  get nextSequence(): number {
    return this.submitted + 1;
  }

  /** Highest sequence number whose batch (and every earlier one) is written. */
  get writtenSequence(): number {
    return this.written;
  }

  /**
   * Writes `batch` after every batch submitted before it; returns its sequence number.
   * `onWritten(seq)` runs once it is written (not on failure).
   */
  submit(batch: StoreBatch, onWritten?: (seq: number) => void): number {
    const seq = ++this.submitted;
    this.writing = this.writing.then(async () => {
      if (this.writeError) {
        await batch.close();
        return;
      }
      try {
        await batch.write();
      } catch (cause) {
        this.writeError = new StateBackendError(`writing to the state database at ${this.path} failed: ${(cause as Error).message}`, {
          cause,
        });
        return;
      }
      this.written = seq;
      onWritten?.(seq);
    });
    return seq;
  }

  /** Resolves once every submitted batch is written; rejects when one failed. */
  async whenWritten(): Promise<void> {
    await this.writing;
    this.throwIfFailed();
  }

  /** An iterator over `gte <= key < lt`, reading the database as it is now. */
  iterator(gte: Buffer, lt: Buffer): AsyncIterable<[Buffer, Buffer]> {
    this.throwIfFailed();
    return this.db.iterator({ gte, lt });
  }

  /** Throws the first write failure, or when closed. */
  throwIfFailed(): void {
    if (this.writeError) throw this.writeError;
    if (this.closed) throw new StateBackendError(`the state database at ${this.path} is closed`);
  }

  /** Waits for writes in progress, closes, and removes the directory (and its parent when empty). */
  async destroy(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.writing.catch(() => undefined);
      await this.db.close();
    }
    rmSync(this.path, { recursive: true, force: true });
    // The job directory goes too once its last database is gone.
    await rmdir(dirname(this.path)).catch(() => undefined);
  }
}
