/**
 * Drives a {@link SourceReader}: the task asks it for up to N records per mailbox slice; at end
 * of input it emits the maximal watermark so bounded jobs fire every timer and window.
 * With a watermark strategy (`fromSource(source, strategy, name)`), records get the assigner's
 * timestamps, and watermarks come from one generator per split the reader opens
 * (`createOutputForSplit`) or, for readers without splits, one for the whole reader; the
 * source's watermark is the minimum over them, emitted per record and every
 * `pipeline.auto-watermark-interval` from the mailbox.
 *
 * Checkpoints: the reader's position is kept as a list of splits in operator list state
 * (`_source_splits`), so a restore at another parallelism redistributes the splits round-robin
 * and every record is read exactly once overall. A reader whose `snapshotState()` is an array
 * has one split per element and gets its share back as an array (possibly empty: it then reads
 * nothing); any other position is one opaque element, which cannot be split on rescale.
 *
 * A source may hand the operator a user function to host (`Source.createUserFunction`, the
 * legacy SourceFunction): it is opened, checkpointed and closed like any operator's function,
 * and a reader that buffers records emits them before each barrier (`prepareSnapshotPreBarrier`).
 */
import { FailedPreconditionError, InternalError, InvalidArgumentError } from '../../core/errors.js';
import type { ListState } from '../../common/runtime-context.js';
import type { StateInitializationContext, StateSnapshotContext } from '../../common/checkpoint-hooks.js';
import type { TimestampAssigner, WatermarkStrategy } from '../../common/watermark-strategy.js';
import type { InputStatus, ReaderOutput, Source, SourceReader } from '../../common/source.js';
import { MAX_WATERMARK, NO_TIMESTAMP } from '../../common/stream-element.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import {
  type GeneratorOutput,
  isWatermarkStrategy,
  PeriodicWatermarkEmitter,
  RECORD_TIMESTAMP,
  WatermarkMultiplexer,
  type WatermarkSink,
} from './timestamps-watermark-output.js';

/** The output of one split (or of the whole reader): timestamps, then its own generator. */
class SplitReaderOutput implements ReaderOutput<unknown> {
  constructor(
    private readonly operator: SourceOperator,
    private readonly assigner: TimestampAssigner<unknown>,
    private readonly watermarks: GeneratorOutput<unknown>,
  ) {}

  collect(value: unknown, timestamp?: number): void {
    const ts = this.assigner(value, timestamp ?? NO_TIMESTAMP);
    this.watermarks.onEvent(value, ts);
    this.operator.emitRecord(value, ts);
  }
}

/** Name of the operator list state holding a source's splits. */
export const SOURCE_SPLITS_STATE = '_source_splits';

/** Wraps a position that is not a list of splits. */
interface OpaquePosition {
  opaquePosition: unknown;
}

function isOpaque(x: unknown): x is OpaquePosition {
  return typeof x === 'object' && x !== null && 'opaquePosition' in x;
}

/** The source operator (kind `source`). */
export class SourceOperator extends AbstractStreamOperator implements WatermarkSink {
  private reader: SourceReader<unknown> | undefined;
  private readonly readerOutput: ReaderOutput<unknown>;
  /** Restored reader position, applied before `start`. */
  private restoredPosition: unknown = undefined;
  private readonly watermarks: WatermarkMultiplexer<unknown> | undefined;
  private periodic: PeriodicWatermarkEmitter | undefined;
  private splitsState: ListState<unknown> | undefined;

  constructor(
    name: string,
    private readonly source: Source<unknown>,
    watermarkStrategy?: unknown,
  ) {
    super(name, hostedFunctionOf(source), 0);
    if (!source || typeof source.createReader !== 'function') throw new InvalidArgumentError(`${name}: the user function is not a Source`);
    if (watermarkStrategy !== undefined && watermarkStrategy !== null && !isWatermarkStrategy(watermarkStrategy)) {
      throw new InvalidArgumentError(`${name}: expected a WatermarkStrategy as the watermark strategy of fromSource()`);
    }
    const strategy = watermarkStrategy as WatermarkStrategy<unknown> | undefined;
    if (!strategy || (!strategy.emitsWatermarks && !strategy.timestampAssigner)) {
      // No strategy: records keep the reader's timestamps; only the final watermark is sent.
      // The reader's own watermarks and idleness (a SourceFunction's ctx.emitWatermark) go through as they are.
      this.readerOutput = {
        collect: (value, timestamp) => this.output.collect(value, timestamp ?? NO_TIMESTAMP),
        emitWatermark: (timestamp) => this.processWatermark(timestamp, 0),
        markIdle: () => this.processWatermarkStatus(true, 0),
        markActive: () => this.processWatermarkStatus(false, 0),
      };
      return;
    }
    const watermarks = new WatermarkMultiplexer(strategy, this);
    const assigner = strategy.timestampAssigner ?? RECORD_TIMESTAMP;
    this.watermarks = watermarks;
    let main: SplitReaderOutput | undefined;
    this.readerOutput = {
      collect: (value, timestamp) => {
        // Registered on first use, so readers that only use split outputs are not held back by it.
        main ??= new SplitReaderOutput(this, assigner, watermarks.output('\u0000main'));
        main.collect(value, timestamp);
      },
      createOutputForSplit: (splitId) => new SplitReaderOutput(this, assigner, watermarks.output(splitId)),
      releaseOutputForSplit: (splitId) => watermarks.release(splitId),
      // A reader without splits (more subtasks than partitions) is idle, as in Flink.
      markIdle: () => this.processWatermarkStatus(true, 0),
      markActive: () => this.processWatermarkStatus(false, 0),
    };
  }

  /** Takes the restored splits (if this operator was restored) as the reader's position. */
  override async initializeState(ctx: StateInitializationContext): Promise<void> {
    await super.initializeState(ctx);
    const state = (this.splitsState = ctx.getListState<unknown>(SOURCE_SPLITS_STATE));
    if (!ctx.isRestored) return;
    const items = [...state.get()];
    if (items.length > 0 && items.every(isOpaque)) {
      if (items.length > 1) {
        throw new FailedPreconditionError(
          `${this.name}: the source's position is not a list of splits, so it cannot be restored at another parallelism (${items.length} positions for one subtask)`,
        );
      }
      this.restoredPosition = items[0]!.opaquePosition;
    } else {
      // An empty share means: this subtask has nothing left to read.
      this.restoredPosition = items;
    }
  }

  /** Records the reader's position as splits in operator list state (between two polls). */
  override snapshotState(ctx: StateSnapshotContext): void | Promise<void> {
    this.flushReader();
    const result = super.snapshotState(ctx);
    let position: unknown;
    try {
      position = this.reader ? this.reader.snapshotState() : this.restoredPosition;
    } catch (err) {
      throw this.userError(err);
    }
    const state = this.splitsState;
    if (state) {
      if (Array.isArray(position)) state.update(position);
      else if (position === undefined || position === null) state.clear();
      else state.update([{ opaquePosition: position }]);
    }
    return result;
  }

  protected override async onOpen(): Promise<void> {
    try {
      this.reader = this.source.createReader({
        subtaskIndex: this.ctx.subtaskIndex,
        parallelism: this.ctx.parallelism,
        sourceName: this.name,
        userFunction: this.userFunction,
      });
      if (this.restoredPosition !== undefined) this.reader.restoreState(this.restoredPosition);
      await this.reader.start();
    } catch (err) {
      throw this.userError(err);
    }
    if (this.watermarks) {
      const interval = this.ctx.autoWatermarkIntervalMs ?? 0;
      this.periodic = new PeriodicWatermarkEmitter(this.ctx.processingTimeService, interval, () => this.emitPeriodicWatermark());
      this.periodic.start();
    }
  }

  /** The reader's backlog (`pendingRecords`), undefined when it does not know (or fails to say). */
  pendingRecords(): number | undefined {
    try {
      const n = this.reader?.pendingRecords?.();
      return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
    } catch {
      // A metric never fails the task.
      return undefined;
    }
  }

  /** Emits up to `maxRecords` records. */
  pollNext(maxRecords: number): InputStatus {
    try {
      return this.reader!.pollNext(this.readerOutput, maxRecords);
    } catch (err) {
      throw this.userError(err);
    }
  }

  /** @internal a record with its final timestamp. */
  emitRecord(value: unknown, timestamp: number): void {
    this.output.collect(value, timestamp);
  }

  /** Asks every generator for its periodic watermark now (the mailbox calls this every interval). */
  emitPeriodicWatermark(): void {
    try {
      this.watermarks?.emitPeriodic();
    } catch (err) {
      throw this.userError(err);
    }
  }

  fireProcessingTimers(now: number): void {
    this.periodic?.onProcessingTime(now);
  }

  /** A generator's combined watermark. */
  emitWatermark(timestamp: number): void {
    this.processWatermark(timestamp, 0);
  }

  emitWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus?.(idle);
  }

  /** Resolves when `pollNext` may have records again. */
  isAvailable(): Promise<void> {
    return this.reader!.isAvailable();
  }

  processElement(): void {
    throw new InternalError(`${this.name}: a source has no input`);
  }

  /** The reader is exhausted: the maximal watermark goes downstream. */
  override endInput(): void {
    this.drainWatermark();
  }

  /** Stop-with-savepoint with drain: the maximal watermark goes out before the savepoint's barrier. */
  drainWatermark(): void {
    this.flushReader();
    this.emitMaxWatermark();
  }

  private emitMaxWatermark(): void {
    this.periodic?.stop();
    // An idle reader's input would not let the maximal watermark through.
    this.processWatermarkStatus(false, 0);
    this.processWatermark(MAX_WATERMARK, 0);
  }

  /** Emits what the reader buffered (before a barrier or the maximal watermark). */
  private flushReader(): void {
    const reader = this.reader;
    if (!reader?.prepareSnapshotPreBarrier) return;
    try {
      reader.prepareSnapshotPreBarrier(this.readerOutput);
    } catch (err) {
      throw this.userError(err);
    }
  }

  /**
   * Stop-with-savepoint: the input ends after the savepoint completed. Only with `drain` has the
   * maximal watermark gone downstream (Flink's stop without drain leaves windows unfired).
   */
  stopInput(drain: boolean): void {
    // What a reader buffered since the savepoint's barrier belongs after it: it is dropped, not flushed.
    if (drain) this.emitMaxWatermark();
    else this.periodic?.stop();
  }

  override async close(): Promise<void> {
    this.periodic?.stop();
    const reader = this.reader;
    this.reader = undefined;
    if (reader) {
      try {
        await reader.close();
      } catch (err) {
        throw this.userError(err);
      }
    }
    // The hosted function (if any) closes after its reader stopped it.
    await super.close();
  }
}

/** The function `source` asks its operator to host, if any (see Source.createUserFunction). */
function hostedFunctionOf(source: Source<unknown>): unknown {
  return source && typeof source.createUserFunction === 'function' ? source.createUserFunction() : undefined;
}
