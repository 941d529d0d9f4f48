/**
 * The `sink` operator: writes records into a {@link Sink}'s writer (FileSink, PrintSink, …)
 * or calls a SinkFunction (a lambda, or an object with `invoke`). At finish a writer flushes
 * with `endOfInput`; the task awaits that before reporting FINISHED.
 *
 * Checkpoint hooks (`initializeState`, `snapshotState`, `notifyCheckpointComplete`,
 * `notifyCheckpointAborted`) reach the writer and the SinkFunction when they implement them;
 * the writer is created before `initializeState`, so it sees its restored state.
 *
 * After `keyBy` the sink is keyed (as in Flink): the record's key is made current before
 * `invoke`, so a sink function may keep keyed state (`getRuntimeContext().getState(…)`).
 */
import type { StateInitializationContext, StateSnapshotContext } from '../../common/checkpoint-hooks.js';
import { initializeStateOf, notifyAbortedOf, notifyCompleteOf, snapshotStateOf } from '../../common/checkpoint-hooks.js';
import type { KeySelector, SinkContext } from '../../common/functions.js';
import { isSink, type Sink, type SinkWriter } from '../../common/sink.js';
import { NO_TIMESTAMP } from '../../common/stream-element.js';
import { bindUserFunction } from '../user-function.js';
import { promiseReturned } from './promise-returned.js';
import { AbstractStreamOperator, visibleTimestamp } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';

/** Kind `sink`. */
export class SinkOperator extends AbstractStreamOperator {
  private writer: SinkWriter<unknown> | undefined;
  private readonly invoke: ((value: unknown, ctx: SinkContext) => void) | undefined;
  private timestamp = NO_TIMESTAMP;
  private readonly context: SinkContext;
  /** On a keyed stream: the record's key, made current before the sink sees the record. */
  private readonly keyOf: ((value: unknown) => unknown) | undefined;

  constructor(name: string, userFunction: unknown, keySelector?: KeySelector<unknown, unknown>) {
    // A Sink's lifecycle is its writer's; only SinkFunctions are opened as rich functions.
    super(name, isSink(userFunction) ? undefined : userFunction);
    this.keyOf = keySelector ? bindKeySelector(keySelector, name) : undefined;
    this.invoke = isSink(userFunction) ? undefined : bindUserFunction<(value: unknown, ctx: SinkContext) => void>(userFunction, 'invoke', name);
    this.context = {
      timestamp: () => visibleTimestamp(this.timestamp),
      currentProcessingTime: () => this.ctx.currentProcessingTime(),
      currentWatermark: () => this.currentWatermark,
    };
    this.sink = isSink(userFunction) ? userFunction : undefined;
  }

  private readonly sink: Sink<unknown> | undefined;

  override async initializeState(ctx: StateInitializationContext): Promise<void> {
    await super.initializeState(ctx);
    if (!this.sink) return;
    try {
      this.writer = this.sink.createWriter({
        subtaskIndex: this.ctx.subtaskIndex,
        parallelism: this.ctx.parallelism,
        attemptNumber: this.ctx.attemptNumber,
        jobId: this.ctx.jobId,
        operatorName: this.name,
      });
      await initializeStateOf(this.writer, ctx);
    } catch (err) {
      throw this.userError(err);
    }
  }

  override snapshotState(ctx: StateSnapshotContext): void | Promise<void> {
    const fromFunction = super.snapshotState(ctx);
    let fromWriter: void | Promise<void>;
    try {
      fromWriter = snapshotStateOf(this.writer, ctx);
    } catch (err) {
      throw this.userError(err);
    }
    if (!fromFunction && !fromWriter) return;
    return Promise.all([fromFunction, fromWriter]).then(
      () => undefined,
      (err: unknown) => {
        throw this.userError(err);
      },
    );
  }

  override notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return this.both(super.notifyCheckpointComplete(checkpointId), () => notifyCompleteOf(this.writer, checkpointId));
  }

  override notifyCheckpointAborted(checkpointId: number): void | Promise<void> {
    return this.both(super.notifyCheckpointAborted(checkpointId), () => notifyAbortedOf(this.writer, checkpointId));
  }

  /** Runs the writer's hook after the function's; user errors name the operator. */
  private both(first: void | Promise<void>, second: () => void | Promise<void>): void | Promise<void> {
    const run = (): void | Promise<void> => {
      try {
        const r = second();
        return r instanceof Promise ? r.catch((err: unknown) => Promise.reject(this.userError(err))) : r;
      } catch (err) {
        throw this.userError(err);
      }
    };
    if (first instanceof Promise) return first.catch((err: unknown) => Promise.reject(this.userError(err))).then(run);
    return run();
  }

  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    let r: unknown;
    try {
      if (this.keyOf) this.ctx.keyedStateBackend!.setCurrentKey(this.keyOf(value));
      if (this.writer) this.writer.write(value, this.context);
      else r = this.invoke!(value, this.context);
    } catch (err) {
      throw this.userError(err);
    }
    if (r !== undefined) {
      const e = promiseReturned(this.name, 'invoke', r);
      if (e) throw e;
    }
  }

  /** The writer's backpressure, when it has one (the task treats it like an output partition). */
  writerGate(): { isAvailable(): boolean; whenAvailable(): Promise<void> } | undefined {
    const w = this.writer;
    if (!w?.isAvailable || !w.whenAvailable) return undefined;
    return { isAvailable: () => w.isAvailable!(), whenAvailable: () => w.whenAvailable!() };
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
