/**
 * A legacy {@link SourceFunction} (`env.addSource(fn)`) as a {@link Source}, so the runtime
 * drives it like any reader. The source operator hosts the function (`createUserFunction`: one
 * instance per subtask, opened with its runtime context, checkpointed as a
 * `CheckpointedFunction`, closed); the reader runs `fn.run(ctx)` from `start()` without awaiting it.
 *
 * What `run` collects goes into a bounded buffer the task drains in its slices (`pollNext`).
 * Once the buffer holds `capacity` elements, `collect` returns a Promise that resolves when the
 * task drained it to half; a `run` that awaits it (`await ctx.collect(x)`) never holds more.
 * A `run` that does not await keeps adding: past `capacity * OVERFLOW_FACTOR` elements the task
 * fails with one line saying to await, instead of growing without bound. (A `run` that neither
 * collects nor awaits blocks the TaskManager's event loop; nothing on that thread can stop it.)
 *
 * Checkpoints: buffered records are emitted before the barrier (`prepareSnapshotPreBarrier`),
 * then the function's `snapshotState` runs. Both happen while `run` awaits, so the function's
 * state counts exactly the records that went out before the barrier.
 */
import { isParallelSourceFunction, type SourceContext, type SourceFunction } from '../common/source-functions.js';
import { Watermark } from '../common/watermark-strategy.js';
import { FailedPreconditionError, FlussError, InvalidArgumentError } from '../core/errors.js';
import { shallowClone } from '../runtime/clone-for-subtask.js';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../common/source.js';

/** Elements a source function's buffer holds before `collect` asks the function to wait. */
export const DEFAULT_SOURCE_FUNCTION_BUFFER = 1024;
/** How many times its capacity the buffer may hold, from a `run` that does not await, before the task fails. */
export const OVERFLOW_FACTOR = 32;

/** Options of {@link SourceFunctionSource}. */
export interface SourceFunctionOptions {
  /** Elements (records and watermarks) buffered before `collect` returns a Promise to await. */
  bufferCapacity?: number;
}

/** Buffer markers (module-private, so no record can be one). */
const WATERMARK = Symbol('watermark');
const IDLE = Symbol('idle');

/** The Source `env.addSource(fn)` reads. */
export class SourceFunctionSource<T> implements Source<T> {
  /** Flink treats every legacy source as unbounded; one whose `run` returns still ends the job. */
  readonly boundedness = 'CONTINUOUS_UNBOUNDED';
  /** Flink's name for an unnamed `addSource`. */
  readonly defaultName = 'Custom Source';
  /** 1 unless the function extends a parallel source class. */
  readonly maxParallelism: number | undefined;
  private readonly capacity: number;

  constructor(
    private readonly fn: SourceFunction<T>,
    options: SourceFunctionOptions = {},
  ) {
    const capacity = options.bufferCapacity ?? DEFAULT_SOURCE_FUNCTION_BUFFER;
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`a source function's buffer capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.maxParallelism = isParallelSourceFunction(fn) ? undefined : 1;
  }

  /** This subtask's own instance of the function (a subtask must not share its fields). */
  createUserFunction(): SourceFunction<T> {
    return shallowClone(this.fn);
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    const fn = (ctx.userFunction as SourceFunction<T> | undefined) ?? this.createUserFunction();
    return new SourceFunctionReader<T>(fn, ctx.sourceName, this.capacity);
  }
}

/** Runs one subtask's function and buffers what it emits until the task takes it. */
export class SourceFunctionReader<T> implements SourceReader<T> {
  /** Buffered elements from `head` on: records, or WATERMARK / IDLE markers. */
  private values: unknown[] = [];
  /** Per element: the record's timestamp (or undefined), the watermark's. */
  private stamps: (number | undefined)[] = [];
  private head = 0;
  /** `run` returned or resolved: the source ends once the buffer is empty. */
  private finished = false;
  /** Set when `run` threw or rejected (or collected past the limit); the next poll fails the task. */
  private failure: Error | undefined = undefined;
  private closed = false;
  /** Set after an IDLE marker went out, until a record or watermark follows. */
  private outputIdle = false;
  /** The task waits for an element (after NOTHING_AVAILABLE). */
  private available: Promise<void> | undefined;
  private resolveAvailable: (() => void) | undefined;
  /** The function waits for room (a full buffer). */
  private room: Promise<void> | undefined;
  private resolveRoom: (() => void) | undefined;
  private readonly hardLimit: number;
  private readonly context: SourceContext<T>;

  constructor(
    private readonly fn: SourceFunction<T>,
    private readonly sourceName: string,
    private readonly capacity: number,
  ) {
    this.hardLimit = capacity * OVERFLOW_FACTOR;
    const lock = Object.freeze({});
    this.context = {
      collect: (element) => this.add(element, undefined),
      collectWithTimestamp: (element, timestamp) => this.add(element, timestamp),
      emitWatermark: (mark) => {
        const ts = mark instanceof Watermark ? mark.timestamp : mark;
        if (typeof ts !== 'number' || Number.isNaN(ts)) throw new InvalidArgumentError(`${sourceName}: emitWatermark() expects a timestamp or a Watermark, got ${String(mark)}`);
        void this.add(WATERMARK, ts);
      },
      markAsTemporarilyIdle: () => void this.add(IDLE, undefined),
      getCheckpointLock: () => lock,
      close: () => {},
    };
  }

  /** Elements buffered now. */
  get buffered(): number {
    return this.values.length - this.head;
  }

  start(): void {
    let result: unknown;
    try {
      result = this.fn.run(this.context);
    } catch (err) {
      this.onRunFailed(err);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.onRunFinished(),
        (err: unknown) => this.onRunFailed(err),
      );
    } else {
      this.onRunFinished();
    }
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.failure !== undefined) throw this.failure;
    this.emit(output, maxRecords);
    if (this.buffered > 0) return 'MORE_AVAILABLE';
    return this.finished ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
  }

  isAvailable(): Promise<void> {
    if (this.buffered > 0 || this.finished || this.failure !== undefined) return Promise.resolve();
    this.available ??= new Promise<void>((resolve) => {
      this.resolveAvailable = resolve;
    });
    return this.available;
  }

  /** Everything buffered goes out before the barrier. */
  prepareSnapshotPreBarrier(output: ReaderOutput<T>): void {
    if (this.failure !== undefined) throw this.failure;
    this.emit(output, Number.POSITIVE_INFINITY);
  }

  /** The function keeps its own position (CheckpointedFunction); the reader has none. */
  snapshotState(): undefined {
    return undefined;
  }

  restoreState(): void {}

  /** Cancels a `run` still going; what it collects from now on fails its `collect` and is dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.values = [];
    this.stamps = [];
    this.head = 0;
    if (!this.finished && this.failure === undefined && typeof this.fn.cancel === 'function') this.fn.cancel();
    // A run awaiting room goes on, sees that it was canceled and returns.
    this.wakeRoom();
  }

  /** Buffers one element; a Promise when the buffer is full. */
  private add(value: unknown, timestamp: number | undefined): void | Promise<void> {
    if (this.closed) throw new FailedPreconditionError(`${this.sourceName} was canceled: its run() must return (check a flag that cancel() sets)`);
    const size = this.buffered;
    if (size >= this.hardLimit) {
      const err = new FailedPreconditionError(
        `run() collected ${size} elements without awaiting the task (buffer capacity ${this.capacity}); write \`await ctx.collect(x)\` so it waits while the buffer is full`,
      );
      this.failure ??= err;
      this.wakeTask();
      throw err;
    }
    this.values.push(value);
    this.stamps.push(timestamp);
    if (size === 0) this.wakeTask();
    if (size + 1 < this.capacity) return undefined;
    this.room ??= new Promise<void>((resolve) => {
      this.resolveRoom = resolve;
    });
    return this.room;
  }

  /** Emits up to `maxRecords` records (and the watermarks between them). */
  private emit(output: ReaderOutput<T>, maxRecords: number): void {
    const values = this.values;
    const stamps = this.stamps;
    let head = this.head;
    let records = 0;
    while (records < maxRecords && head < values.length) {
      const value = values[head];
      const stamp = stamps[head];
      values[head] = undefined;
      head++;
      if (value === IDLE) {
        if (!this.outputIdle) output.markIdle?.();
        this.outputIdle = true;
        continue;
      }
      if (this.outputIdle) {
        this.outputIdle = false;
        output.markActive?.();
      }
      if (value === WATERMARK) output.emitWatermark?.(stamp!);
      else {
        output.collect(value as T, stamp);
        records++;
      }
    }
    if (head === values.length) {
      this.values = [];
      this.stamps = [];
      this.head = 0;
    } else if (head > 4096 && head * 2 > values.length) {
      // Keep the arrays from growing at the front while the function keeps them full.
      this.values = values.slice(head);
      this.stamps = stamps.slice(head);
      this.head = 0;
    } else {
      this.head = head;
    }
    if (this.room !== undefined && this.buffered <= this.capacity / 2) this.wakeRoom();
  }

  private onRunFinished(): void {
    this.finished = true;
    this.wakeTask();
  }

  private onRunFailed(err: unknown): void {
    // A canceled run may end any way it likes.
    if (this.closed) return;
    this.failure ??= err instanceof Error ? err : new RunRejectionError(err);
    this.wakeTask();
  }

  private wakeTask(): void {
    const resolve = this.resolveAvailable;
    this.available = undefined;
    this.resolveAvailable = undefined;
    resolve?.();
  }

  private wakeRoom(): void {
    const resolve = this.resolveRoom;
    this.room = undefined;
    this.resolveRoom = undefined;
    resolve?.();
  }
}

/** A `run` that rejected with something other than an Error (the message describes the value). */
class RunRejectionError extends FlussError {
  constructor(readonly value: unknown) {
    super('USER_CODE', `run() rejected with ${describeRejection(value)}`, { cause: value });
  }
}

function describeRejection(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}
