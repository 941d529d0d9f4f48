/**
 * One local LevelDB database (classic-level) holding the keyed state of one operator in one
 * subtask: synchronous point reads (`getSync`), batches written in the background strictly in
 * order (one at a time: LevelDB's worker threads would otherwise apply them in any order;
 * writes made meanwhile collect in the next batch, so a busy event loop never queues many),
 * range iterators (each reads an implicit snapshot taken when it is created), snapshot
 * iterators opened exactly between two batches (see {@link LevelDbStore.snapshotIterator}), and
 * removal of the whole directory when the task ends. The cache above it lives in
 * {@link LevelDbWriteBackCache}.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { LevelDbChangeRecorder } from './leveldb-change-recorder.js';
import { StateBackendError } from './state-errors.js';

type Db = ClassicLevel<Buffer, Buffer>;

/** Bytes one `nextv` of a snapshot iterator reads at most (snapshots read many records per hop). */
const SNAPSHOT_READ_BYTES = 2 * 1024 * 1024;
/** Bytes one internal read of a range scan reads at most (scans yield 1000 records per hop). */
const SCAN_READ_BYTES = 256 * 1024;

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

/** A LevelDB iterator read in chunks (`nextv`), for raw snapshots. */
export interface RawIterator {
  /** Up to `size` next entries; an empty array at the end. */
  nextv(size: number): Promise<[Buffer, Buffer][]>;
  close(): Promise<void>;
}

/** A collected batch; a sealed one takes no more writes (a snapshot waits for it). */
interface QueuedBatch extends PendingBatch {
  sealed: boolean;
}

/** A snapshot iterator waiting for batch `seq` to be written. */
interface SnapshotWaiter {
  seq: number;
  open: () => void;
  fail: (err: Error) => void;
}

/** LevelDB with synchronous reads and ordered background batch writes. */
export class LevelDbStore {
  private submitted = 0;
  private written = 0;
  /**
   * Batches collected but not being written, in order; writes go to the last one unless it is
   * sealed. At most one batch is written at a time.
   */
  private queue: QueuedBatch[] = [];
  private snapshotWaiters: SnapshotWaiter[] = [];
  private writing: Promise<void> | undefined;
  /** Callers of {@link whenWrittenUpTo} waiting for the write in progress to end. */
  private writeWaiters: (() => void)[] = [];
  private writeError: Error | undefined;
  private closed = false;
  /**
   * Records every write handed to a batch while set (incremental checkpoints: the changes since
   * the last snapshot point); whoever fills a batch reports to it.
   */
  changes: LevelDbChangeRecorder | undefined;
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
    const last = this.queue[this.queue.length - 1];
    if (last && !last.sealed) return last;
    const next: QueuedBatch = { batch: this.db.batch(), seq: ++this.submitted, sealed: false };
    this.queue.push(next);
    return next;
  }

  /**
   * An iterator over `gte <= key < lt` that reads the database with every write submitted so
   * far and none submitted later: the collecting batch is sealed, and the iterator is created
   * (LevelDB takes its implicit snapshot then) right after that batch is written, before the
   * next one starts. So the caller may go on writing at once; nothing waits here but the promise.
   */
  snapshotIterator(gte: Buffer, lt: Buffer): Promise<RawIterator> {
    this.throwIfFailed();
    const seq = this.submitted;
    const last = this.queue[this.queue.length - 1];
    if (last) last.sealed = true;
    if (this.written >= seq) return Promise.resolve(this.rawIterator(gte, lt));
    return new Promise<RawIterator>((resolve, reject) => {
      this.snapshotWaiters.push({ seq, open: () => resolve(this.rawIterator(gte, lt)), fail: reject });
      this.schedule();
    });
  }

  private rawIterator(gte: Buffer, lt: Buffer): RawIterator {
    // classic-level stops a nextv() call after 16 KiB by default: ~1000 small records per hop.
    // A snapshot reads everything once: it must not push the task's hot blocks out of LevelDB's
    // block cache (its point reads would miss afterwards).
    return this.db.iterator({ gte, lt, highWaterMarkBytes: SNAPSHOT_READ_BYTES, fillCache: false }) as unknown as RawIterator;
  }

  /** Opens the snapshot iterators waiting for batches up to the written one. */
  private openSnapshots(): void {
    if (this.snapshotWaiters.length === 0) return;
    const ready = this.snapshotWaiters.filter((w) => w.seq <= this.written);
    this.snapshotWaiters = this.snapshotWaiters.filter((w) => w.seq > this.written);
    for (const w of ready) {
      try {
        w.open();
      } catch (err) {
        w.fail(err as Error);
      }
    }
  }

  private failSnapshots(err: Error): void {
    const waiters = this.snapshotWaiters;
    this.snapshotWaiters = [];
    for (const w of waiters) w.fail(err);
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
    if (!this.writing && this.queue.length > 0) this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const { batch, seq } = this.queue.shift()!;
      try {
        await batch.write();
      } catch (cause) {
        this.writeError = new StateBackendError(`writing to the state database at ${this.path} failed: ${(cause as Error).message}`, {
          cause,
        });
        const rest = this.queue;
        this.queue = [];
        for (const b of rest) await b.batch.close();
        this.failSnapshots(this.writeError);
        break;
      }
      this.written = seq;
      this.onWritten?.(seq);
      const waiters = this.writeWaiters;
      this.writeWaiters = [];
      for (const w of waiters) w();
      // Before the next batch starts: these iterators see exactly the batches up to `seq`.
      this.openSnapshots();
    }
    this.writing = undefined;
    for (const w of this.writeWaiters.splice(0)) w();
  }

  /** Sequence number of the last batch handed out by {@link batch}. */
  get submittedSequence(): number {
    return this.submitted;
  }

  /**
   * Resolves once the batch of sequence `seq` (and every earlier one) is written; rejects when a
   * write failed. Schedules the collected batch.
   */
  async whenWrittenUpTo(seq: number): Promise<void> {
    this.schedule();
    while (this.written < seq && this.writing) await Promise.race([this.writing, this.nextWrite()]);
    this.throwIfFailed();
  }

  /** A promise for the end of the batch being written now. */
  private nextWrite(): Promise<void> {
    return new Promise((resolve) => this.writeWaiters.push(resolve));
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
    return this.db.iterator({ gte, lt, highWaterMarkBytes: SCAN_READ_BYTES });
  }

  /** A raw iterator over `gte <= key < lt` read in chunks (timer scans), reading the database as it is now. */
  rawRangeIterator(gte: Buffer, lt: Buffer): RawIterator {
    this.throwIfFailed();
    return this.db.iterator({ gte, lt, highWaterMarkBytes: SCAN_READ_BYTES }) as unknown as RawIterator;
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
      for (const b of this.queue) await b.batch.close();
      this.queue = [];
      this.failSnapshots(new StateBackendError(`the state database at ${this.path} is closed`));
      await this.db.close();
    }
    rmSync(this.path, { recursive: true, force: true });
    // The job directory goes too once its last database is gone.
    await rmdir(dirname(this.path)).catch(() => undefined);
  }
}
