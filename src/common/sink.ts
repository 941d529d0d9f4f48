/**
 * The sink interface (Flink's Sink V2, reduced): a `Sink` describes where records go; every
 * sink subtask creates one `SinkWriter`, called synchronously per record from the task's
 * mailbox loop. Writers buffer and write asynchronously; `flush` is where the task awaits.
 */
import type { SinkContext } from './functions.js';

/** What a writer knows of its subtask. */
export interface SinkWriterContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly attemptNumber: number;
  readonly jobId: string;
  /** Name of the sink operator, for logs and errors. */
  readonly operatorName: string;
}

/** Writes the records of one sink subtask. */
export interface SinkWriter<T> {
  /** Called once per record; must not block (buffer, write later). */
  write(value: T, ctx: SinkContext): void;
  /** Writes out buffered data; `endOfInput` is true once no record will follow. */
  flush(endOfInput: boolean): void | Promise<void>;
  /** Frees resources (after `flush(true)` on success, or directly on cancel/failure). */
  close(): void | Promise<void>;
  /**
   * False while the writer cannot take more records without growing past its bounds (e.g.
   * unacknowledged publishes): the task then stops reading input until {@link whenAvailable}.
   */
  isAvailable?(): boolean;
  /** Resolves once {@link isAvailable} is true again. */
  whenAvailable?(): Promise<void>;
}

/** A destination of records. */
export interface Sink<T> {
  createWriter(ctx: SinkWriterContext): SinkWriter<T>;
}

/** True when `x` implements {@link Sink}. */
export function isSink(x: unknown): x is Sink<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Sink<unknown>).createWriter === 'function';
}

/** Strings as they are, anything else as JSON (how print and file sinks render records). */
export function renderRecord(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return value.toString();
  try {
    const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v));
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
}
