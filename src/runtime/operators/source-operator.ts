/**
 * Drives a {@link SourceReader}: the task asks it for up to N records per mailbox slice; at end
 * of input it emits the maximal watermark so bounded jobs fire every timer and window.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader } from '../../connectors/source.js';
import { MAX_WATERMARK, NO_TIMESTAMP } from '../stream-element.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';

/** The source operator (kind `source`). */
export class SourceOperator extends AbstractStreamOperator {
  private reader: SourceReader<unknown> | undefined;
  private readonly readerOutput: ReaderOutput<unknown>;
  /** Restored reader position, applied before `start`. */
  private restoredPosition: unknown = undefined;

  constructor(name: string, private readonly source: Source<unknown>) {
    super(name, undefined, 0);
    if (!source || typeof source.createReader !== 'function') throw new TypeError(`${name}: the user function is not a Source`);
    this.readerOutput = { collect: (value, timestamp) => this.output.collect(value, timestamp ?? NO_TIMESTAMP) };
  }

  /** Sets the reader position to resume from (a checkpointed `snapshotState()`). */
  restorePosition(position: unknown): void {
    this.restoredPosition = position;
  }

  protected override async onOpen(): Promise<void> {
    try {
      this.reader = this.source.createReader({ subtaskIndex: this.ctx.subtaskIndex, parallelism: this.ctx.parallelism, sourceName: this.name });
      if (this.restoredPosition !== undefined) this.reader.restoreState(this.restoredPosition);
      await this.reader.start();
    } catch (err) {
      throw this.userError(err);
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

  /** Resolves when `pollNext` may have records again. */
  isAvailable(): Promise<void> {
    return this.reader!.isAvailable();
  }

  /** The reader's current position. */
  snapshotPosition(): unknown {
    return this.reader?.snapshotState();
  }

  processElement(): void {
    throw new Error(`${this.name}: a source has no input`);
  }

  /** The reader is exhausted: the maximal watermark goes downstream. */
  override endInput(): void {
    this.processWatermark(MAX_WATERMARK, 0);
  }

  override async close(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    if (reader) {
      try {
        await reader.close();
      } catch (err) {
        throw this.userError(err);
      }
    }
  }
}
