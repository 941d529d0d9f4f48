/**
 * Writes one record per line into part files under a directory (`FileSink.forRowFormat`),
 * exactly once with checkpoints (two-phase commit, as Flink's FileSink). A {@link BucketAssigner}
 * picks each record's bucket, a sub-directory of the sink directory (by default none: the base
 * directory itself); every bucket the subtask writes to has its own part files:
 *
 * - records go into the bucket's in-progress part file of the subtask, hidden:
 *   `dir/<bucket>/.part-<writer uuid>-<subtask>-<n>.inprogress`; it rolls at a size bound. The
 *   part index n counts across all buckets of the writer;
 * - at checkpoint n's barrier every in-progress file is closed and becomes *pending* for n: its
 *   bucket-relative path goes into the sink's operator state with the pending list. No file
 *   stays open across a barrier, so idle buckets hold no file handle;
 * - on `notifyCheckpointComplete(n)` every file pending for n (or earlier) is committed: renamed
 *   to the visible `dir/<bucket>/part-<writer uuid>-<subtask>-<n>`;
 * - on restore, the pending files of the restored checkpoint are committed (idempotently: a
 *   missing source whose target exists counts as done), then uncommitted files of earlier
 *   attempts (writers named in the restored state, or of this job with a lower attempt) are
 *   deleted, in every bucket (the sink directory is scanned recursively; files that are not
 *   part files are left alone): what they hold is replayed from the restored source positions;
 * - a restore of this job that goes back behind files already committed (the latest checkpoint
 *   was damaged and the JobManager fell back to the previous one) rolls them back: the state
 *   records each writer's next part index, so committed files of a restored writer from that
 *   index on, and committed files of this job's attempts after the restored ones, are deleted
 *   too — their records are replayed;
 * - at end of input (bounded jobs) every part file is committed after the final flush. With
 *   checkpointing on, sources end with a final checkpoint (see CheckpointCoordinator) that
 *   completes before any input of this sink ends, so its files are committed under that
 *   checkpoint and nothing is left to commit here; without checkpointing this is the commit.
 *
 * The writer uuid is new per attempt (its first group is the job id's first 8 hex, its second
 * the attempt), so names never collide across restarts, rescales or resumed runs. Records are
 * buffered per bucket and appended asynchronously in chunks, never one write per record.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListState } from '../common/runtime-context.js';
import type { SinkContext } from '../common/functions.js';
import type { StateInitializationContext, StateSnapshotContext } from '../common/checkpoint-hooks.js';
import { renderRecord, type Sink, type SinkWriter, type SinkWriterContext } from '../common/sink.js';
import { InvalidArgumentError, IOError } from '../core/errors.js';
import { BasePathBucketAssigner, checkBucketId, type BucketAssigner } from './bucket-assigners.js';
import { commitPartFile, inBucket, inProgressFileName, partFileName, writerUuid, type PendingPartFile, type WriterPosition } from './file-sink-parts.js';
import { restoreSinkDirectory, warnIfStartedOverAfterCommits } from './file-sink-restore.js';

export { partFileName, inProgressFileName, writerUuid, type PendingPartFile } from './file-sink-parts.js';

/** Default size at which a part file rolls (Flink's default: 128 MiB). */
export const DEFAULT_MAX_PART_SIZE = 128 * 1024 * 1024;
/** Characters buffered (per bucket) before an append is issued. */
const WRITE_THRESHOLD = 64 * 1024;
/** Characters buffered in all buckets together before every bucket's buffer is appended. */
const WRITER_BUFFER_LIMIT = 4 * 1024 * 1024;
/**
 * Part files a writer keeps open at once. With more buckets in progress, the least recently
 * opened file is synced and closed, and reopened for appending when its bucket writes again.
 */
export const MAX_OPEN_PART_FILES = 64;
/** Union list state of the pending part files. */
const PENDING_STATE = '_file_sink_pending';
/** Union list state of the writer uuids whose uncommitted files a restore discards. */
const WRITERS_STATE = '_file_sink_writers';

/** A sink writing text lines into part files, in buckets (sub-directories) of its directory. */
export class FileSink<T> implements Sink<T> {
  private constructor(
    readonly dir: string,
    private readonly encoder: (value: T) => string,
    readonly maxPartSize: number,
    readonly bucketAssigner: BucketAssigner<T>,
  ) {}

  /**
   * Lines are `encoder(value)`; by default strings as they are, other values as JSON. Part
   * files go into `dir` itself until {@link withBucketAssigner} says otherwise.
   */
  static forRowFormat<T>(dir: string, encoder?: (value: T) => string): FileSink<T> {
    return new FileSink<T>(dir, encoder ?? renderRecord, DEFAULT_MAX_PART_SIZE, new BasePathBucketAssigner<T>());
  }

  /** A copy of this sink that rolls part files once they reach `bytes`. */
  withMaxPartSize(bytes: number): FileSink<T> {
    if (!(bytes > 0)) throw new InvalidArgumentError(`max part size must be > 0, got ${bytes}`);
    return new FileSink<T>(this.dir, this.encoder, bytes, this.bucketAssigner);
  }

  /**
   * A copy of this sink that writes each record into the bucket (sub-directory of the sink
   * directory) `assigner` names, e.g. a {@link DateTimeBucketAssigner}.
   */
  withBucketAssigner(assigner: BucketAssigner<T>): FileSink<T> {
    if (typeof assigner?.getBucketId !== 'function') throw new InvalidArgumentError('withBucketAssigner needs an object with getBucketId(element, context)');
    return new FileSink<T>(this.dir, this.encoder, this.maxPartSize, assigner);
  }

  createWriter(ctx: SinkWriterContext): FileSinkWriter<T> {
    return new FileSinkWriter<T>(this.dir, this.encoder, this.maxPartSize, ctx.subtaskIndex, writerUuid(ctx.jobId, ctx.attemptNumber), ctx.jobId, this.bucketAssigner);
  }
}

/** The in-progress part file of one bucket. */
interface InProgressPart {
  bucketId: string;
  index: number;
  /** Bytes in the file, including what is still buffered. */
  bytes: number;
  buffer: string;
  handle: Promise<FileHandle> | undefined;
  /** The file was created (it may be closed for now to bound open files). */
  created: boolean;
}

/** A part file closed by a roll, not yet pending for a checkpoint. */
interface ClosedPart {
  bucketId: string;
  index: number;
}

/** Writes the part files of one sink subtask. */
export class FileSinkWriter<T> implements SinkWriter<T> {
  /** The in-progress part file of every bucket written to since the last roll of it. */
  private readonly parts = new Map<string, InProgressPart>();
  /** Parts whose file is open, least recently opened first. */
  private readonly openParts = new Set<InProgressPart>();
  /** Characters buffered in all parts. */
  private buffered = 0;
  /** Index of the next part file this writer opens, in any bucket. */
  private nextPart = 0;
  /** Serialises every file operation of this writer. */
  private chain: Promise<void>;
  private error: Error | undefined;
  /** Part files closed (rolled, or at a barrier) that are not yet pending for a checkpoint. */
  private closed: ClosedPart[] = [];
  /** Part files closed for a checkpoint, waiting for it to complete. */
  private pending: PendingPartFile[] = [];
  private pendingState: ListState<PendingPartFile> | undefined;
  private writersState: ListState<WriterPosition | string> | undefined;

  constructor(
    private readonly dir: string,
    private readonly encoder: (value: T) => string,
    private readonly maxPartSize: number,
    private readonly subtask: number,
    /** Random per writer: part names of different runs never collide. */
    readonly uuid: string = writerUuid('', 0),
    /** The job's id, for the warning of a restart without state. */
    private readonly jobId: string = '',
    private readonly bucketAssigner: BucketAssigner<T> = new BasePathBucketAssigner<T>(),
  ) {
    this.chain = mkdir(dir, { recursive: true }).then(() => undefined);
    this.chain.catch((err: Error) => this.fail(err));
  }

  write(value: T, ctx: SinkContext): void {
    if (this.error) throw this.error;
    const bucketId = this.bucketAssigner.getBucketId(value, ctx);
    let part = this.parts.get(bucketId) ?? this.openPart(bucketId);
    const line = this.encoder(value) + '\n';
    if (part.bytes > 0 && part.bytes + line.length > this.maxPartSize) {
      this.roll(part);
      part = this.openPart(bucketId);
    }
    part.buffer += line;
    part.bytes += Buffer.byteLength(line);
    this.buffered += line.length;
    if (part.buffer.length >= WRITE_THRESHOLD) this.append(part);
    else if (this.buffered >= WRITER_BUFFER_LIMIT) for (const p of this.parts.values()) this.append(p);
  }

  private fail(err: Error): void {
    this.error ??= new IOError(`FileSink cannot write to ${this.dir}: ${err.message}`, { cause: err });
  }

  /** A new in-progress part for `bucketId` (checked here: once per part file, not per record). */
  private openPart(bucketId: string): InProgressPart {
    const part: InProgressPart = { bucketId: checkBucketId(bucketId), index: this.nextPart++, bytes: 0, buffer: '', handle: undefined, created: false };
    this.parts.set(bucketId, part);
    return part;
  }

  private handleOf(part: InProgressPart): Promise<FileHandle> {
    if (!part.handle) {
      if (this.openParts.size >= MAX_OPEN_PART_FILES) this.closeFile(this.openParts.values().next().value!);
      const bucketDir = join(this.dir, part.bucketId);
      const path = join(bucketDir, inProgressFileName(this.uuid, this.subtask, part.index));
      const opened = this.chain.then(async () => {
        if (part.bucketId !== '') await mkdir(bucketDir, { recursive: true });
        return open(path, 'a');
      });
      // A failed open fails the writer; the chain goes on so later steps still settle.
      this.chain = opened.then(() => undefined).catch((err: Error) => this.fail(err));
      part.handle = opened;
      part.created = true;
      this.openParts.add(part);
    }
    return part.handle;
  }

  /** Queues sync and close of `part`'s open file (appends queued before it go first). */
  private closeFile(part: InProgressPart): void {
    const handle = part.handle;
    if (!handle) return;
    part.handle = undefined;
    this.openParts.delete(part);
    this.chain = this.chain
      .then(() => handle)
      .then((h) => h.sync().then(() => h.close()))
      .catch((err: Error) => this.fail(err));
  }

  /** Queues the buffered lines of `part` as one append to its file. */
  private append(part: InProgressPart): void {
    if (!part.buffer) return;
    const data = part.buffer;
    part.buffer = '';
    this.buffered -= data.length;
    const handle = this.handleOf(part);
    this.chain = this.chain.then(() => handle).then((h) => h.appendFile(data)).catch((err: Error) => this.fail(err));
  }

  /** Closes the part file of `part`'s bucket; the bucket's next record opens a new one. */
  private roll(part: InProgressPart): void {
    this.append(part);
    this.parts.delete(part.bucketId);
    this.closeFile(part);
    if (part.created) this.closed.push({ bucketId: part.bucketId, index: part.index });
  }

  /** Closes every in-progress part file. */
  private rollAll(): void {
    for (const part of [...this.parts.values()]) this.roll(part);
  }

  /** Queues the commit of `files` (in order) on the writer's chain. */
  private commit(files: readonly PendingPartFile[]): void {
    for (const f of files) this.chain = this.chain.then(() => commitPartFile(this.dir, f.file, f.target)).catch((err: Error) => this.fail(err));
  }

  private settled(): Promise<void> {
    return this.chain.then(() => {
      if (this.error) throw this.error;
    });
  }

  /** Registers the sink's state; on restore commits the restored pending files and discards leftovers of failed attempts. */
  async initializeState(ctx: StateInitializationContext): Promise<void> {
    this.pendingState = ctx.getUnionListState<PendingPartFile>(PENDING_STATE);
    this.writersState = ctx.getUnionListState<WriterPosition | string>(WRITERS_STATE);
    if (!ctx.isRestored) {
      await warnIfStartedOverAfterCommits(this.dir, this.uuid, this.subtask, this.jobId);
      return;
    }
    // Every subtask sees every restored pending file: commits are idempotent, and none is deleted.
    const restoredPending = [...this.pendingState.get()];
    // Plain uuids: state written before writers recorded their next part index.
    const restoredWriters = new Map<string, number | undefined>();
    for (const w of this.writersState.get()) {
      if (typeof w === 'string') restoredWriters.set(w, undefined);
      else restoredWriters.set(w.uuid, w.nextPart);
    }
    this.pendingState.clear();
    this.writersState.clear();
    await this.chain;
    await restoreSinkDirectory(this.dir, this.uuid, restoredPending, restoredWriters);
  }

  /**
   * At checkpoint n's barrier: closes every in-progress file; they and the files rolled since
   * the last checkpoint become pending for n (in operator state). Resolves once they are closed.
   */
  snapshotState(ctx: StateSnapshotContext): Promise<void> {
    if (this.error) throw this.error;
    this.rollAll();
    for (const c of this.closed) this.pending.push(this.pendingPart(ctx.checkpointId, c));
    this.closed = [];
    this.pendingState?.update(this.pending.map((f) => ({ ...f })));
    this.writersState?.update([{ uuid: this.uuid, nextPart: this.nextPart }]);
    return this.settled();
  }

  /** Closed part `c` of this writer, pending until `checkpointId` completes. */
  private pendingPart(checkpointId: number, c: ClosedPart): PendingPartFile {
    return {
      checkpointId,
      file: inBucket(c.bucketId, inProgressFileName(this.uuid, this.subtask, c.index)),
      target: inBucket(c.bucketId, partFileName(this.uuid, this.subtask, c.index)),
    };
  }

  /** Checkpoint n is complete: commits every file pending for n or earlier. */
  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const due = this.pending.filter((f) => f.checkpointId <= checkpointId);
    if (due.length === 0) return Promise.resolve();
    this.pending = this.pending.filter((f) => f.checkpointId > checkpointId);
    this.commit(due);
    return this.settled();
  }

  async flush(endOfInput: boolean): Promise<void> {
    for (const part of this.parts.values()) this.append(part);
    if (endOfInput) {
      // End of input: everything written is committed, pending or not.
      this.rollAll();
      const all = [...this.pending, ...this.closed.map((c) => this.pendingPart(Number.MAX_SAFE_INTEGER, c))];
      this.pending = [];
      this.closed = [];
      this.commit(all);
    }
    await this.settled();
  }

  async close(): Promise<void> {
    const handles = [...this.parts.values()].flatMap((p) => (p.handle ? [p.handle] : []));
    this.parts.clear();
    this.openParts.clear();
    this.buffered = 0;
    await this.chain;
    for (const h of handles) await h.then((fh) => fh.close()).catch(() => undefined);
  }
}
