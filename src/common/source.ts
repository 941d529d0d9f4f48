/**
 * The source interface (a small version of Flink's FLIP-27): a `Source` is the user-facing,
 * serialisation-free description; every source subtask creates one `SourceReader` that the
 * task polls from its mailbox loop. Readers never block: when nothing is ready they return
 * `NOTHING_AVAILABLE` and the task awaits `isAvailable()`.
 */
import type { WatermarkStrategy } from './watermark-strategy.js';

/** Whether a source ends. */
export type Boundedness = 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';

/** Where a reader emits records. */
export interface ReaderOutput<T> {
  collect(value: T, timestamp?: number): void;
  /**
   * An output for one split with its own watermark generator (Flink's split-local outputs):
   * the source's watermark is then the minimum over its unreleased splits. Offered by the
   * runtime; readers with several splits use it when present.
   */
  createOutputForSplit?(splitId: string): ReaderOutput<T>;
  /** The split was read to its end: its watermark no longer holds the source back. */
  releaseOutputForSplit?(splitId: string): void;
  /**
   * A watermark the reader itself decides (a legacy SourceFunction's `ctx.emitWatermark`).
   * Offered when the source has no watermark strategy; a strategy's generators decide otherwise.
   */
  emitWatermark?(timestamp: number): void;
  /** The reader has no records for now: its watermark does not hold downstream back (until markActive). */
  markIdle?(): void;
  /** The reader emits again after {@link markIdle}. */
  markActive?(): void;
}

/** Result of one poll. */
export type InputStatus = 'MORE_AVAILABLE' | 'NOTHING_AVAILABLE' | 'END_OF_INPUT';

/** What a reader knows of its subtask. */
export interface SourceReaderContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Source name, for logs and errors. */
  readonly sourceName: string;
  /** This subtask's instance of {@link Source.createUserFunction}, when the source has one. */
  readonly userFunction?: unknown;
}

/** Reads one subtask's share of a source. */
export interface SourceReader<T> {
  /** Opens files / sockets; may be async. */
  start(): void | Promise<void>;
  /** Emits at most `maxRecords` records into `output`, synchronously. */
  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus;
  /** Resolves when `pollNext` may have data again after NOTHING_AVAILABLE. */
  isAvailable(): Promise<void>;
  /** Position to checkpoint (opaque, JSON-serialisable). */
  snapshotState(): unknown;
  /** Restores the position saved by `snapshotState` (before `start`). */
  restoreState(state: unknown): void;
  /**
   * Emits what the reader holds but has not handed out yet, before a checkpoint's barrier
   * (Flink's `prepareSnapshotPreBarrier`): a reader buffering records of a function whose state
   * already counts them must not leave them behind the barrier.
   */
  prepareSnapshotPreBarrier?(output: ReaderOutput<T>): void;
  /**
   * Records this reader knows are left to read (Flink's FLIP-33 `pendingRecords`, the backlog the
   * autoscaler catches up); undefined when it does not know. Read once per metrics report, never
   * per record: it must be cheap and must not do I/O.
   */
  pendingRecords?(): number | undefined;
  close(): void | Promise<void>;
}

/** A source of records. */
export interface Source<T> {
  readonly boundedness: Boundedness;
  /** Display name used when the job does not name the source. */
  readonly defaultName: string;
  /** Highest useful parallelism (e.g. 1 for a socket or an element list), or undefined. */
  readonly maxParallelism?: number;
  createReader(ctx: SourceReaderContext): SourceReader<T>;
  /**
   * A user function the source operator hosts for one subtask, as other operators host theirs:
   * opened with the runtime context (`Rich*`), closed, and checkpointed (`CheckpointedFunction`,
   * `CheckpointListener`). Called once per subtask; the reader gets it as `ctx.userFunction`.
   */
  createUserFunction?(): unknown;
  /**
   * Throws one line when the source cannot serve `strategy` (a FileSource cutting files into
   * ranges loses their event-time order). `fromSource` calls it while the job is built.
   */
  checkWatermarkStrategy?(strategy: WatermarkStrategy<T>): void;
}

/** True when `x` implements {@link Source}. */
export function isSource(x: unknown): x is Source<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Source<unknown>).createReader === 'function';
}
