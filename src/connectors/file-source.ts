/**
 * A bounded source of the lines of a file or of every file under a directory
 * (`FileSource.forLines`, `readTextFile`). As in Flink, a split is a whole file, read in order
 * from its first line to its last; files are sorted by path and dealt round-robin to subtasks, so
 * event time within a file keeps its order. `splitLargeFiles()` cuts large files into byte
 * ranges read in parallel (one per subtask), for jobs without event time: a watermark strategy
 * is refused with it (see file-splits.ts). A reader's position is (split, byte offset of the next
 * line), so the source is replayable. Files are read with non-blocking reads into a bounded
 * buffer: `pollNext` only hands out lines already read and never blocks.
 *
 * Lines can be decoded on the way in (`FileSource.forLines(path, { decode: JSON.parse })`); a
 * line whose decoder throws is a poison record, handled by the source's policy (see
 * poison-records.ts): fail the job naming the file, byte offset and line, or skip and count it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { WatermarkStrategy } from '../common/watermark-strategy.js';
import { InvalidArgumentError, IOError, JobBuildError, NotFoundError } from '../core/errors.js';
import { type FileSplit, planFileSplits, splitId, splitsOfSubtask } from './file-splits.js';
import { checkPoisonPolicy, PoisonRecordHandler, previewRecord, type PoisonRecordPolicy } from './poison-records.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../common/source.js';

export { enumerateFiles, planFileSplits, type FileSplit } from './file-splits.js';

/** Bytes read per file read. */
const READ_CHUNK = 64 * 1024;
/** Read-ahead bound: no new read while this many unconsumed bytes are buffered. */
const MAX_BUFFERED = 1024 * 1024;
const NEWLINE = 0x0a;

/** How `FileSource.forLines` turns lines into records. */
export interface LineFormat<T> {
  /** Decodes one line (without its terminator); a throw makes the line a poison record. */
  decode: (line: string) => T;
  /** What to do with lines `decode` rejects; default `pipeline.poison-records.policy`. */
  poisonPolicy?: PoisonRecordPolicy;
}

/** Reads text files line by line. */
export class FileSource<T> implements Source<T> {
  readonly boundedness = 'BOUNDED' as const;
  readonly defaultName: string;

  private constructor(
    readonly path: string,
    private readonly decode: (line: string) => T,
    /** Undefined: the cluster's `pipeline.poison-records.policy`. */
    readonly poisonPolicy: PoisonRecordPolicy | undefined,
    /** Cut large files into byte ranges read in parallel (no event time). */
    readonly splitsLargeFiles: boolean,
  ) {
    this.defaultName = `FileSource(${path})`;
  }

  /** A source of the lines (without line terminators) of `pathOrDir`. */
  static forLines(pathOrDir: string): FileSource<string>;
  /** A source of the lines of `pathOrDir`, each decoded by `format.decode`. */
  static forLines<T>(pathOrDir: string, format: LineFormat<T>): FileSource<T>;
  static forLines<T>(pathOrDir: string, format?: LineFormat<T>): FileSource<T> | FileSource<string> {
    if (!format) return new FileSource<string>(pathOrDir, (line) => line, undefined, false);
    if (typeof format.decode !== 'function') throw new InvalidArgumentError('FileSource.forLines: format.decode must be a function');
    const policy = format.poisonPolicy === undefined ? undefined : checkPoisonPolicy(format.poisonPolicy);
    return new FileSource<T>(pathOrDir, format.decode, policy, false);
  }

  /** The same source with poison-record policy `policy` (`'fail'` or `'skip'`). */
  withPoisonPolicy(policy: PoisonRecordPolicy): FileSource<T> {
    return new FileSource<T>(this.path, this.decode, checkPoisonPolicy(policy), this.splitsLargeFiles);
  }

  /**
   * The same source, cutting files of 4 MiB or more into one byte range per subtask so that one
   * large file is read in parallel. The lines of a file then arrive out of order across
   * subtasks, so this is for jobs without event time: `fromSource` refuses it with a watermark
   * strategy other than `WatermarkStrategy.noWatermarks()`.
   */
  splitLargeFiles(): FileSource<T> {
    return new FileSource<T>(this.path, this.decode, this.poisonPolicy, true);
  }

  /** Refuses watermarks when files are cut into ranges: their order is lost across subtasks. */
  checkWatermarkStrategy(strategy: WatermarkStrategy<T>): void {
    if (!this.splitsLargeFiles || !strategy.emitsWatermarks) return;
    throw new JobBuildError(
      `${this.defaultName}.splitLargeFiles() reads parts of a file in parallel, out of event-time order, so it cannot be used with watermarks: drop splitLargeFiles() (each file is then read whole and in order) or use WatermarkStrategy.noWatermarks()`,
    );
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    const poison = new PoisonRecordHandler(ctx.sourceName, this.poisonPolicy);
    return new FileSourceReader(this.path, this.splitsLargeFiles, ctx, this.decode, poison);
  }
}

/** Reads the splits of one subtask. */
class FileSourceReader<T> implements SourceReader<T> {
  private splits: FileSplit[] | undefined;
  private handle: FileHandle | undefined;
  /** Unconsumed bytes of the current file; `buffer[scan]` is at file offset `bufferOffset + scan`. */
  private buffer: Buffer = Buffer.alloc(0);
  private bufferOffset = 0;
  private scan = 0;
  private eof = false;
  private reading: Promise<void> | undefined;
  private error: Error | undefined;
  private opening = false;
  /** Output of the split being read. */
  private splitOutput: ReaderOutput<T> | undefined;
  /** The current split starts mid-file: skip to the first line that starts inside it. */
  private aligning = false;

  constructor(
    private readonly path: string,
    private readonly splitLargeFiles: boolean,
    private readonly ctx: SourceReaderContext,
    private readonly decode: (line: string) => T,
    private readonly poison: PoisonRecordHandler,
  ) {}

  /** Decodes and emits the line `buffer[start, end)`; a poison line is failed or skipped. */
  private emitLine(out: ReaderOutput<T>, start: number, end: number): void {
    const line = lineOf(this.buffer, start, end);
    let value: T;
    try {
      value = this.decode(line);
    } catch (err) {
      this.poison.onPoison(err, `line at byte ${this.bufferOffset + start} of ${this.splits![0]!.path} (${previewRecord(line)})`);
      return;
    }
    out.collect(value);
  }

  async start(): Promise<void> {
    if (this.splits) return;
    const all = await planFileSplits(this.path, this.ctx.parallelism, this.splitLargeFiles);
    this.splits = splitsOfSubtask(all, this.ctx.subtaskIndex, this.ctx.parallelism);
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.error) throw this.error;
    const splits = this.splits!;
    let emitted = 0;
    while (emitted < maxRecords) {
      const split = splits[0];
      if (!split) return 'END_OF_INPUT';
      if (!this.handle) {
        this.openCurrent(split);
        return emitted > 0 ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
      }
      // Each file has its own watermark generator while it is read.
      const out = (this.splitOutput ??= output.createOutputForSplit?.(splitId(split)) ?? output);
      const nl = this.buffer.indexOf(NEWLINE, this.scan);
      if (this.aligning) {
        // Bytes up to and including the first newline at or after start - 1 belong to the
        // previous split's last line.
        if (nl >= 0) {
          this.scan = nl + 1;
          this.aligning = false;
          split.offset = this.bufferOffset + this.scan;
          continue;
        }
        if (this.eof) {
          this.finishSplit(output, split);
          continue;
        }
        this.readMore();
        return emitted > 0 ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
      }
      if (split.end !== null && this.bufferOffset + this.scan >= split.end) {
        this.finishSplit(output, split);
        continue;
      }
      if (nl >= 0) {
        this.emitLine(out, this.scan, nl);
        this.scan = nl + 1;
        split.offset = this.bufferOffset + this.scan;
        emitted++;
        continue;
      }
      if (this.eof) {
        if (this.scan < this.buffer.length) {
          this.emitLine(out, this.scan, this.buffer.length);
          emitted++;
        }
        this.finishSplit(output, split);
        continue;
      }
      this.readMore();
      return emitted > 0 ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
    }
    if (this.handle && !this.eof && this.buffer.length - this.scan < MAX_BUFFERED) this.readMore();
    return 'MORE_AVAILABLE';
  }

  private finishSplit(output: ReaderOutput<T>, split: FileSplit): void {
    this.closeCurrent();
    this.splits!.shift();
    this.splitOutput = undefined;
    output.releaseOutputForSplit?.(splitId(split));
  }

  private openCurrent(split: FileSplit): void {
    if (this.opening) return;
    this.opening = true;
    this.reading = open(split.path, 'r').then(
      (h) => {
        this.opening = false;
        this.handle = h;
        this.buffer = Buffer.alloc(0);
        // A split that starts mid-file and has not found its first line yet reads from start - 1.
        this.aligning = split.offset === split.start && split.start > 0;
        this.bufferOffset = this.aligning ? split.start - 1 : split.offset;
        this.scan = 0;
        this.eof = false;
        this.reading = undefined;
        this.readMore();
      },
      (cause) => {
        this.opening = false;
        this.reading = undefined;
        this.error = new NotFoundError(`FileSource: cannot open ${split.path}: ${(cause as Error).message}`, { cause });
      },
    );
  }

  /** Starts one read unless one is in flight; appends its bytes to the buffer when done. */
  private readMore(): void {
    if (this.reading || !this.handle || this.eof) return;
    const handle = this.handle;
    const position = this.bufferOffset + this.buffer.length;
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    this.reading = handle.read(chunk, 0, READ_CHUNK, position).then(
      ({ bytesRead }) => {
        this.reading = undefined;
        if (handle !== this.handle) return;
        if (bytesRead === 0) {
          this.eof = true;
          return;
        }
        // Drop the consumed prefix, then append what was read.
        const rest = this.buffer.subarray(this.scan);
        this.bufferOffset += this.scan;
        this.scan = 0;
        this.buffer = rest.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
        if (this.buffer.length < MAX_BUFFERED && this.buffer.indexOf(NEWLINE) < 0) this.readMore();
      },
      (cause) => {
        this.reading = undefined;
        this.error = new IOError(`FileSource: read failed: ${(cause as Error).message}`, { cause });
      },
    );
  }

  private closeCurrent(): void {
    const h = this.handle;
    this.handle = undefined;
    this.buffer = Buffer.alloc(0);
    this.scan = 0;
    this.eof = false;
    void h?.close().catch(() => undefined);
  }

  isAvailable(): Promise<void> {
    return this.reading ? this.reading.then(() => undefined) : Promise.resolve();
  }

  /** The splits left to read, each with the byte offset of its next line (one list element per split). */
  snapshotState(): FileSplit[] {
    return (this.splits ?? []).map((s) => ({ ...s }));
  }

  restoreState(state: unknown): void {
    type Saved = Partial<FileSplit> & { path: string; offset: number };
    const saved = Array.isArray(state) ? (state as Saved[]) : (state as { splits: Saved[] }).splits;
    this.splits = saved.map((s) => ({
      path: s.path,
      start: s.start ?? 0,
      end: s.end ?? null,
      offset: s.offset,
    }));
  }

  async close(): Promise<void> {
    this.poison.flush();
    const h = this.handle;
    this.handle = undefined;
    this.splits = [];
    await h?.close().catch(() => undefined);
  }
}

/** Decodes `buf[start, end)` as UTF-8, without a trailing `\r`. */
function lineOf(buf: Buffer, start: number, end: number): string {
  if (end > start && buf[end - 1] === 0x0d) end--;
  return buf.toString('utf8', start, end);
}
