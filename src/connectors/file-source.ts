/**
 * A bounded source of the lines of a file or of every file under a directory
 * (`FileSource.forLines`, `readTextFile`). Splits are byte ranges of files (large files are cut
 * into one range per subtask, so one big file is read in parallel), sorted by path and assigned
 * round-robin to subtasks; a split owns the lines that start inside its range. A reader's
 * position is (split, byte offset of the next line), so the source is replayable. Files are read with non-blocking reads into a bounded buffer: `pollNext`
 * only hands out lines already read and never blocks.
 *
 * Lines can be decoded on the way in (`FileSource.forLines(path, { decode: JSON.parse })`); a
 * line whose decoder throws is a poison record, handled by the source's policy (see
 * poison-records.ts): fail the job naming the file, byte offset and line, or skip and count it.
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { checkPoisonPolicy, PoisonRecordHandler, previewRecord, type PoisonRecordPolicy } from './poison-records.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from './source.js';

/** Files at least this large are cut into one range per subtask. */
const SPLIT_FILES_FROM = 4 * 1024 * 1024;
/** Bytes read per file read. */
const READ_CHUNK = 64 * 1024;
/** Read-ahead bound: no new read while this many unconsumed bytes are buffered. */
const MAX_BUFFERED = 1024 * 1024;
const NEWLINE = 0x0a;

/** A byte range of a file still to read: the lines starting in `[start, end)`, next at `offset`. */
export interface FileSplit {
  path: string;
  start: number;
  /** Exclusive bound of line starts; `null` reads to the end of the file. */
  end: number | null;
  /** Where the next line starts (`start` before the first line was found). */
  offset: number;
}

/** The splits of a source, identical on every subtask: files cut into `parallelism` ranges when large. */
export async function planFileSplits(pathOrDir: string, parallelism: number): Promise<FileSplit[]> {
  const splits: FileSplit[] = [];
  for (const path of await enumerateFiles(pathOrDir)) {
    const size = (await stat(path)).size;
    if (parallelism <= 1 || size < SPLIT_FILES_FROM) {
      splits.push({ path, start: 0, end: null, offset: 0 });
      continue;
    }
    for (let i = 0; i < parallelism; i++) {
      const start = Math.floor((size * i) / parallelism);
      const end = i === parallelism - 1 ? null : Math.floor((size * (i + 1)) / parallelism);
      splits.push({ path, start, end, offset: start });
    }
  }
  return splits;
}

/** A name of a split unique within the source (per-split watermarks). */
function splitId(split: FileSplit): string {
  return split.start === 0 && split.end === null ? split.path : `${split.path}#${split.start}`;
}

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
    readonly poisonPolicy?: PoisonRecordPolicy,
  ) {
    this.defaultName = `FileSource(${path})`;
  }

  /** A source of the lines (without line terminators) of `pathOrDir`. */
  static forLines(pathOrDir: string): FileSource<string>;
  /** A source of the lines of `pathOrDir`, each decoded by `format.decode`. */
  static forLines<T>(pathOrDir: string, format: LineFormat<T>): FileSource<T>;
  static forLines<T>(pathOrDir: string, format?: LineFormat<T>): FileSource<T> | FileSource<string> {
    if (!format) return new FileSource<string>(pathOrDir, (line) => line);
    if (typeof format.decode !== 'function') throw new TypeError('FileSource.forLines: format.decode must be a function');
    return new FileSource<T>(pathOrDir, format.decode, format.poisonPolicy === undefined ? undefined : checkPoisonPolicy(format.poisonPolicy));
  }

  /** The same source with poison-record policy `policy` (`'fail'` or `'skip'`). */
  withPoisonPolicy(policy: PoisonRecordPolicy): FileSource<T> {
    return new FileSource<T>(this.path, this.decode, checkPoisonPolicy(policy));
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    return new FileSourceReader(this.path, ctx, this.decode, new PoisonRecordHandler(ctx.sourceName, this.poisonPolicy));
  }
}

/** Lists the files of `pathOrDir` (recursively, skipping hidden `.`/`_` entries), sorted. */
export async function enumerateFiles(pathOrDir: string): Promise<string[]> {
  let info;
  try {
    info = await stat(pathOrDir);
  } catch (cause) {
    throw new NotFoundError(`FileSource: path does not exist: ${pathOrDir}`, { cause });
  }
  if (!info.isDirectory()) return [pathOrDir];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(full);
    }
  };
  await walk(pathOrDir);
  return out.sort();
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
    const all = await planFileSplits(this.path, this.ctx.parallelism);
    this.splits = all.filter((_, i) => i % this.ctx.parallelism === this.ctx.subtaskIndex);
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
        this.error = new Error(`FileSource: read failed: ${(cause as Error).message}`, { cause });
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
