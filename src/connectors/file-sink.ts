/**
 * Writes one record per line into part files under a directory (`FileSink.forRowFormat`),
 * exactly once with checkpoints (two-phase commit, as Flink's FileSink):
 *
 * - records go into the subtask's in-progress part file, hidden:
 *   `dir/.part-<writer uuid>-<subtask>-<n>.inprogress`; it rolls at a size bound;
 * - at checkpoint n's barrier the in-progress file is closed and becomes *pending* for n: its
 *   name goes into the sink's operator state with the pending list;
 * - on `notifyCheckpointComplete(n)` every file pending for n (or earlier) is committed: renamed
 *   to the visible `dir/part-<writer uuid>-<subtask>-<n>`;
 * - on restore, the pending files of the restored checkpoint are committed (idempotently: a
 *   missing source whose target exists counts as done), then uncommitted files of earlier
 *   attempts (writers named in the restored state, or of this job with a lower attempt) are
 *   deleted: what they hold is replayed from the restored source positions;
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
 * buffered and appended asynchronously in chunks, never one write per record.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListState } from '../common/runtime-context.js';
import type { SinkContext } from '../common/functions.js';
import type { StateInitializationContext, StateSnapshotContext } from '../common/checkpoint-hooks.js';
import { renderRecord, type Sink, type SinkWriter, type SinkWriterContext } from '../common/sink.js';
import { InvalidArgumentError, IOError } from '../core/errors.js';

/** Default size at which a part file rolls (Flink's default: 128 MiB). */
export const DEFAULT_MAX_PART_SIZE = 128 * 1024 * 1024;
/** Characters buffered before an append is issued. */
const WRITE_THRESHOLD = 64 * 1024;
/** Union list state of the pending part files. */
const PENDING_STATE = '_file_sink_pending';
/** Union list state of the writer uuids whose uncommitted files a restore discards. */
const WRITERS_STATE = '_file_sink_writers';

/** A sink writing text lines into part files. */
export class FileSink<T> implements Sink<T> {
  private constructor(
    readonly dir: string,
    private readonly encoder: (value: T) => string,
    readonly maxPartSize: number,
  ) {}

  /** Lines are `encoder(value)`; by default strings as they are, other values as JSON. */
  static forRowFormat<T>(dir: string, encoder?: (value: T) => string): FileSink<T> {
    return new FileSink<T>(dir, encoder ?? renderRecord, DEFAULT_MAX_PART_SIZE);
  }

  /** A copy of this sink that rolls part files once they reach `bytes`. */
  withMaxPartSize(bytes: number): FileSink<T> {
    if (!(bytes > 0)) throw new InvalidArgumentError(`max part size must be > 0, got ${bytes}`);
    return new FileSink<T>(this.dir, this.encoder, bytes);
  }

  createWriter(ctx: SinkWriterContext): FileSinkWriter<T> {
    return new FileSinkWriter<T>(this.dir, this.encoder, this.maxPartSize, ctx.subtaskIndex, writerUuid(ctx.jobId, ctx.attemptNumber), ctx.jobId);
  }
}

/** Name of a committed part file. */
export function partFileName(uuid: string, subtask: number, partIndex: number): string {
  return `part-${uuid}-${subtask}-${partIndex}`;
}

/** Name of a part file being written or pending (hidden). */
export function inProgressFileName(uuid: string, subtask: number, partIndex: number): string {
  return `.${partFileName(uuid, subtask, partIndex)}.inprogress`;
}

/** A writer uuid: job prefix, attempt, then random. */
export function writerUuid(jobId: string, attempt: number): string {
  const job = (jobId.replace(/[^0-9a-f]/gi, '').toLowerCase() + '00000000').slice(0, 8);
  const r = randomBytes(10).toString('hex');
  return `${job}-${(attempt & 0xffff).toString(16).padStart(4, '0')}-${r.slice(0, 4)}-${r.slice(4, 8)}-${r.slice(8, 20)}`;
}

/** Matches part files, hidden or committed: uuid (job prefix, attempt), subtask and part index. */
const PART_FILE = /^(\.?)part-(([0-9a-f]{8})-([0-9a-f]{4})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d+)-(\d+)(\.inprogress)?$/;

/** A writer as the sink state records it: its uuid and the index its next part file gets. */
interface WriterPosition {
  uuid: string;
  nextPart: number;
}

/** The attempt encoded in a writer uuid. */
function attemptOf(uuid: string): number {
  return parseInt(uuid.slice(9, 13), 16);
}

/** A part file closed for a checkpoint, committed once that checkpoint completes. */
export interface PendingPartFile {
  checkpointId: number;
  /** Hidden name while pending. */
  file: string;
  /** Visible name once committed. */
  target: string;
}

/** Renames `from` to `to` in `dir`; done already when `from` is gone and `to` exists. */
async function commitPartFile(dir: string, from: string, to: string): Promise<void> {
  try {
    await rename(join(dir, from), join(dir, to));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        await access(join(dir, to));
        return;
      } catch {
        throw new IOError(`FileSink cannot commit ${join(dir, from)}: neither it nor ${to} exists`, { cause: err });
      }
    }
    throw err;
  }
}

/** Writes the part files of one sink subtask. */
export class FileSinkWriter<T> implements SinkWriter<T> {
  private buffer = '';
  /** Bytes in the current part file, including what is still buffered. */
  private partBytes = 0;
  private partIndex = 0;
  private handle: Promise<FileHandle> | undefined;
  /** Serialises every file operation of this writer. */
  private chain: Promise<void>;
  private error: Error | undefined;
  /** Part files closed (rolled, or at a barrier) that are not yet pending for a checkpoint. */
  private closed: number[] = [];
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
  ) {
    this.chain = mkdir(dir, { recursive: true }).then(() => undefined);
    this.chain.catch((err: Error) => this.fail(err));
  }

  write(value: T, _ctx: SinkContext): void {
    if (this.error) throw this.error;
    const line = this.encoder(value) + '\n';
    if (this.partBytes > 0 && this.partBytes + line.length > this.maxPartSize) this.roll();
    this.buffer += line;
    this.partBytes += Buffer.byteLength(line);
    if (this.buffer.length >= WRITE_THRESHOLD) this.append();
  }

  private fail(err: Error): void {
    this.error ??= new IOError(`FileSink cannot write to ${this.dir}: ${err.message}`, { cause: err });
  }

  private currentHandle(): Promise<FileHandle> {
    if (!this.handle) {
      const path = join(this.dir, inProgressFileName(this.uuid, this.subtask, this.partIndex));
      this.handle = this.chain.then(() => open(path, 'a'));
    }
    return this.handle;
  }

  /** Queues the buffered lines as one append to the current part file. */
  private append(): void {
    if (!this.buffer) return;
    const data = this.buffer;
    this.buffer = '';
    const handle = this.currentHandle();
    this.chain = handle.then((h) => h.appendFile(data)).catch((err: Error) => this.fail(err));
  }

  /** Closes the current part file (when one was opened); the next record opens part `n + 1`. */
  private roll(): void {
    this.append();
    const handle = this.handle;
    if (!handle) return;
    this.chain = this.chain
      .then(() => handle)
      .then((h) => h.sync().then(() => h.close()))
      .catch((err: Error) => this.fail(err));
    this.handle = undefined;
    this.closed.push(this.partIndex);
    this.partIndex++;
    this.partBytes = 0;
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

  /**
   * A later attempt of the job starting without state while earlier attempts committed part
   * files: the job did not restore a checkpoint (it started over from empty state, opted in),
   * so what they committed is not rolled back and may be written again. Said loudly, once per
   * writer (subtask 0 only, the files are shared).
   */
  private async warnIfStartedOverAfterCommits(): Promise<void> {
    const attempt = attemptOf(this.uuid);
    if (attempt === 0 || this.subtask !== 0) return;
    const job = this.uuid.slice(0, 8);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    const earlier = names.filter((n) => {
      const m = PART_FILE.exec(n);
      return m !== null && m[1] === '' && m[3] === job && parseInt(m[4]!, 16) < attempt;
    });
    if (earlier.length === 0) return;
    process.emitWarning(
      `FileSink of job ${this.jobId || job} restarted WITHOUT STATE (attempt ${attempt}): no checkpoint was restored, so the ${earlier.length} part files earlier attempts committed to ${this.dir} stay and records in them may be written again`,
      { type: 'FlussWarning', code: 'FLUSS_SINK_RESTARTED_WITHOUT_STATE' },
    );
  }

  /** Registers the sink's state; on restore commits the restored pending files and discards leftovers of failed attempts. */
  async initializeState(ctx: StateInitializationContext): Promise<void> {
    this.pendingState = ctx.getUnionListState<PendingPartFile>(PENDING_STATE);
    this.writersState = ctx.getUnionListState<WriterPosition | string>(WRITERS_STATE);
    if (!ctx.isRestored) {
      await this.warnIfStartedOverAfterCommits();
      return;
    }
    // Every subtask sees every restored pending file: commits are idempotent, and none is deleted below.
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
    for (const f of restoredPending) await commitPartFile(this.dir, f.file, f.target);
    const keep = new Set(restoredPending.flatMap((f) => [f.file, f.target]));
    const job = this.uuid.slice(0, 8);
    const attempt = attemptOf(this.uuid);
    // The newest attempt of this job named in the restored state: later ones ran after the checkpoint.
    let restoredAttempt = -1;
    for (const uuid of restoredWriters.keys()) if (uuid.startsWith(job)) restoredAttempt = Math.max(restoredAttempt, attemptOf(uuid));
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = PART_FILE.exec(name);
      if (!m || keep.has(name)) continue;
      const hidden = m[1] === '.' && m[7] !== undefined;
      const uuid = m[2]!;
      const ownJob = m[3] === job;
      const fileAttempt = parseInt(m[4]!, 16);
      const part = Number(m[6]);
      let discard: boolean;
      if (hidden) {
        discard = restoredWriters.has(uuid) || (ownJob && fileAttempt < attempt);
      } else if (restoredWriters.has(uuid)) {
        // Committed after the restored checkpoint by the writer that took it.
        const nextPart = restoredWriters.get(uuid);
        discard = ownJob && nextPart !== undefined && part >= nextPart;
      } else {
        // Committed by an attempt of this job that started after the restored checkpoint.
        discard = ownJob && restoredAttempt >= 0 && fileAttempt > restoredAttempt && fileAttempt < attempt;
      }
      if (discard) await rm(join(this.dir, name), { force: true });
    }
  }

  /**
   * At checkpoint n's barrier: closes the in-progress file; it and the files rolled since the
   * last checkpoint become pending for n (in operator state). Resolves once they are closed.
   */
  snapshotState(ctx: StateSnapshotContext): Promise<void> {
    if (this.error) throw this.error;
    this.roll();
    for (const n of this.closed) this.pending.push(this.pendingPart(ctx.checkpointId, n));
    this.closed = [];
    this.pendingState?.update(this.pending.map((f) => ({ ...f })));
    this.writersState?.update([{ uuid: this.uuid, nextPart: this.partIndex }]);
    return this.settled();
  }

  /** Closed part `n` of this writer, pending until `checkpointId` completes. */
  private pendingPart(checkpointId: number, n: number): PendingPartFile {
    return { checkpointId, file: inProgressFileName(this.uuid, this.subtask, n), target: partFileName(this.uuid, this.subtask, n) };
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
    this.append();
    if (endOfInput) {
      // End of input: everything written is committed, pending or not.
      this.roll();
      const all = [
        ...this.pending,
        ...this.closed.map((n) => this.pendingPart(Number.MAX_SAFE_INTEGER, n)),
      ];
      this.pending = [];
      this.closed = [];
      this.commit(all);
    }
    await this.settled();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.buffer = '';
    await this.chain;
    if (handle) await handle.then((h) => h.close()).catch(() => undefined);
  }
}
