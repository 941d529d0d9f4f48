/**
 * One local LevelDB database (classic-level) holding the keyed state of one operator in one
 * subtask: synchronous point reads (`getSync`), batches written in the background strictly in
 * order (one at a time: LevelDB's worker threads would otherwise apply them in any order;
 * writes made meanwhile collect in the next batch, so a busy event loop never queues many),
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

/** A chained batch of writes being assembled. */
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

/** The batch that collects writes until the write in progress (if any) completes. */
export interface PendingBatch {
  readonly batch: StoreBatch;
  /** Sequence number the batch is written as. */
  readonly seq: number;
}

/** LevelDB with synchronous reads and ordered background batch writes. */
export class LevelDbStore {
  private submitted = 0;
  private written = 0;
  /** At most one batch is written at a time; writes meanwhile collect in `pending`. */
  private pending: PendingBatch | undefined;
  private writing: Promise<void> | undefined;
  private writeError: Error | undefined;
  private closed = false;
  /** Called with each sequence number once its batch is written. */
  onWritten: ((seq: number) => void) | undefined;

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

  /**
   * The batch collecting writes (created when none is). Add operations, then call
   * {@link schedule}. Batches are written strictly one after another, in sequence order.
   */
  batch(): PendingBatch {
    this.throwIfFailed();
    return (this.pending ??= { batch: this.db.batch(), seq: ++this.submitted });
  }

  /** Highest sequence number whose batch (and every earlier one) is written. */
  get writtenSequence(): number {
    return this.written;
  }

  /** Batches submitted but not written yet (0 or 1 collecting plus 0 or 1 writing). */
  get backlog(): number {
    return this.submitted - this.written;
  }

  /** Starts writing the collected batch, unless a write is in progress (it follows that one). */
  schedule(): void {
    if (!this.writing && this.pending) this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    while (this.pending) {
      const { batch, seq } = this.pending;
      this.pending = undefined;
      try {
        await batch.write();
      } catch (cause) {
        this.writeError = new StateBackendError(`writing to the state database at ${this.path} failed: ${(cause as Error).message}`, {
          cause,
        });
        const rest = this.pending as PendingBatch | undefined;
        this.pending = undefined;
        await rest?.batch.close();
        break;
      }
      this.written = seq;
      this.onWritten?.(seq);
    }
    this.writing = undefined;
  }

  /** Writes what was collected and resolves once everything is written; rejects when a write failed. */
  async whenWritten(): Promise<void> {
    this.schedule();
    while (this.writing) await this.writing;
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
      while (this.writing) await this.writing;
      await this.pending?.batch.close();
      this.pending = undefined;
      await this.db.close();
    }
    rmSync(this.path, { recursive: true, force: true });
    // The job directory goes too once its last database is gone.
    await rmdir(dirname(this.path)).catch(() => undefined);
  }
}
