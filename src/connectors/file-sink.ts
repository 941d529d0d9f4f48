/**
 * Writes one record per line into part files under a directory (`FileSink.forRowFormat`).
 * Each writer has a random uuid, so names never collide across restarts, rescales or resumed
 * runs. While written, a part file is hidden: `dir/.part-<uuid>-<subtask>-<n>.inprogress`; at
 * end of input every part file is renamed to `dir/part-<uuid>-<subtask>-<n>`. Files roll at a
 * size bound. Records are buffered and appended asynchronously in chunks, never one write per
 * record.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SinkContext } from '../api/functions.js';
import { renderRecord, type Sink, type SinkWriter, type SinkWriterContext } from './sink.js';

/** Default size at which a part file rolls (Flink's default: 128 MiB). */
export const DEFAULT_MAX_PART_SIZE = 128 * 1024 * 1024;
/** Characters buffered before an append is issued. */
const WRITE_THRESHOLD = 64 * 1024;

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
    if (!(bytes > 0)) throw new RangeError(`max part size must be > 0, got ${bytes}`);
    return new FileSink<T>(this.dir, this.encoder, bytes);
  }

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    return new FileSinkWriter<T>(this.dir, this.encoder, this.maxPartSize, ctx.subtaskIndex);
  }
}

/** Name of a committed part file. */
export function partFileName(uuid: string, subtask: number, partIndex: number): string {
  return `part-${uuid}-${subtask}-${partIndex}`;
}

/** Name of a part file being written (hidden). */
export function inProgressFileName(uuid: string, subtask: number, partIndex: number): string {
  return `.${partFileName(uuid, subtask, partIndex)}.inprogress`;
}

/** Writes the part files of one sink subtask. */
export class FileSinkWriter<T> implements SinkWriter<T> {
  /** Random per writer: part names of different runs never collide. */
  readonly uuid = randomUUID();
  private buffer = '';
  /** Bytes in the current part file, including what is still buffered. */
  private partBytes = 0;
  private partIndex = 0;
  private handle: Promise<FileHandle> | undefined;
  /** Serialises every file operation of this writer. */
  private chain: Promise<void>;
  private error: Error | undefined;
  /** Indices of part files written (closed or open), renamed at end of input. */
  private readonly parts: number[] = [];

  constructor(
    private readonly dir: string,
    private readonly encoder: (value: T) => string,
    private readonly maxPartSize: number,
    private readonly subtask: number,
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
    this.error ??= new Error(`FileSink cannot write to ${this.dir}: ${err.message}`, { cause: err });
  }

  private currentHandle(): Promise<FileHandle> {
    if (!this.handle) {
      const path = join(this.dir, inProgressFileName(this.uuid, this.subtask, this.partIndex));
      this.parts.push(this.partIndex);
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

  /** Closes the current part file; the next record opens part `n + 1`. */
  private roll(): void {
    this.append();
    const handle = this.handle;
    if (handle) this.chain = this.chain.then(() => handle.then((h) => h.close())).catch((err: Error) => this.fail(err));
    this.handle = undefined;
    this.partIndex++;
    this.partBytes = 0;
  }

  async flush(endOfInput: boolean): Promise<void> {
    this.append();
    if (endOfInput) {
      this.roll();
      for (const n of this.parts) {
        const from = join(this.dir, inProgressFileName(this.uuid, this.subtask, n));
        const to = join(this.dir, partFileName(this.uuid, this.subtask, n));
        this.chain = this.chain.then(() => rename(from, to)).catch((err: Error) => this.fail(err));
      }
      this.parts.length = 0;
    }
    await this.chain;
    if (this.error) throw this.error;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.buffer = '';
    await this.chain;
    if (handle) await handle.then((h) => h.close()).catch(() => undefined);
  }
}
