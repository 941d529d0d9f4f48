/**
 * Prints records to stdout (or stderr) in Flink's format: `"<subtask+1>> value"` when the sink
 * runs with parallelism > 1, `"prefix:<subtask+1>> value"` / `"prefix> value"` with a prefix.
 * A value whose class defines `toString()` is printed with it, as Flink prints `toString()`;
 * other values as JSON. Writes are buffered and handed to the stream in chunks, never one
 * write per record.
 */
import type { SinkContext } from '../common/functions.js';
import { renderRecord, type Sink, type SinkWriter, type SinkWriterContext } from '../common/sink.js';

/** Options of a {@link PrintSink}. */
export interface PrintSinkOptions {
  prefix?: string;
  stderr?: boolean;
}

/** Bytes buffered before a write is issued. */
const FLUSH_THRESHOLD = 16 * 1024;
/** Longest time a printed line stays in the buffer. */
const FLUSH_DELAY_MS = 50;

/** A sink printing every record on its own line. */
export class PrintSink<T> implements Sink<T> {
  constructor(private readonly options: PrintSinkOptions = {}) {}

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    const stream = this.options.stderr ? process.stderr : process.stdout;
    return new PrintSinkWriter<T>(printPrefix(this.options.prefix, ctx.subtaskIndex, ctx.parallelism), (chunk) => stream.write(chunk));
  }
}

/** Built-in `toString`s that say less than JSON (`[object Object]`, `a,b` for arrays, dates in local time). */
const GENERIC_TO_STRING = new Set<unknown>([Object.prototype.toString, Array.prototype.toString, Date.prototype.toString]);

/**
 * How `print()` renders a record: the value's own `toString()` when its class (or the object
 * itself) defines one, as Flink prints `toString()`; JSON otherwise (plain objects, arrays, Maps).
 */
export function printRecord(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const toString = (value as { toString?: unknown }).toString;
    if (typeof toString === 'function' && !GENERIC_TO_STRING.has(toString)) return String(toString.call(value));
  }
  return renderRecord(value);
}

/** The line prefix Flink's PrintSinkOutputWriter uses. */
export function printPrefix(prefix: string | undefined, subtaskIndex: number, parallelism: number): string {
  const subtask = parallelism > 1 ? `${subtaskIndex + 1}` : '';
  if (prefix) return subtask ? `${prefix}:${subtask}> ` : `${prefix}> `;
  return subtask ? `${subtask}> ` : '';
}

/** Buffers printed lines and writes them in chunks. */
export class PrintSinkWriter<T> implements SinkWriter<T> {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly linePrefix: string, private readonly writeChunk: (chunk: string) => unknown) {}

  write(value: T, _ctx: SinkContext): void {
    this.buffer += this.linePrefix + printRecord(value) + '\n';
    if (this.buffer.length >= FLUSH_THRESHOLD) this.writeOut();
    else if (!this.timer) this.timer = setTimeout(() => this.writeOut(), FLUSH_DELAY_MS);
  }

  private writeOut(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.buffer) return;
    const chunk = this.buffer;
    this.buffer = '';
    this.writeChunk(chunk);
  }

  flush(_endOfInput: boolean): void {
    this.writeOut();
  }

  close(): void {
    this.writeOut();
  }
}
