/**
 * The `sink` operator: writes records into a {@link Sink}'s writer (FileSink, PrintSink, …)
 * or calls a SinkFunction (a lambda, or an object with `invoke`). At finish a writer flushes
 * with `endOfInput`; the task awaits that before reporting FINISHED.
 */
import type { SinkContext } from '../../api/functions.js';
import { isSink, type Sink, type SinkWriter } from '../../connectors/sink.js';
import { NO_TIMESTAMP } from '../stream-element.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator, visibleTimestamp } from './abstract-stream-operator.js';

/** Kind `sink`. */
export class SinkOperator extends AbstractStreamOperator {
  private writer: SinkWriter<unknown> | undefined;
  private readonly invoke: ((value: unknown, ctx: SinkContext) => void) | undefined;
  private timestamp = NO_TIMESTAMP;
  private readonly context: SinkContext;

  constructor(name: string, userFunction: unknown) {
    // A Sink's lifecycle is its writer's; only SinkFunctions are opened as rich functions.
    super(name, isSink(userFunction) ? undefined : userFunction);
    this.invoke = isSink(userFunction) ? undefined : bindUserFunction<(value: unknown, ctx: SinkContext) => void>(userFunction, 'invoke', name);
    this.context = {
      timestamp: () => visibleTimestamp(this.timestamp),
      currentProcessingTime: () => this.ctx.currentProcessingTime(),
      currentWatermark: () => this.currentWatermark,
    };
    this.sink = isSink(userFunction) ? userFunction : undefined;
  }

  private readonly sink: Sink<unknown> | undefined;

  protected override onOpen(): void {
    if (!this.sink) return;
    try {
      this.writer = this.sink.createWriter({
        subtaskIndex: this.ctx.subtaskIndex,
        parallelism: this.ctx.parallelism,
        attemptNumber: this.ctx.attemptNumber,
        jobId: this.ctx.jobId,
        operatorName: this.name,
      });
    } catch (err) {
      throw this.userError(err);
    }
  }

  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    try {
      if (this.writer) this.writer.write(value, this.context);
      else this.invoke!(value, this.context);
    } catch (err) {
      throw this.userError(err);
    }
  }

  override async finish(): Promise<void> {
    if (!this.writer) return;
    try {
      await this.writer.flush(true);
    } catch (err) {
      throw this.userError(err);
    }
  }

  override async close(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    if (writer) {
      try {
        await writer.close();
      } catch (err) {
        throw this.userError(err);
      }
    }
    await super.close();
  }
}
