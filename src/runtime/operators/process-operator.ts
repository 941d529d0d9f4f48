/**
 * The `process` operator: runs a ProcessFunction on a non-keyed stream. Its context offers the
 * record's timestamp, side outputs and the current time; timers need a keyed stream, as in Flink.
 */
import type { Collector, ProcessContext, TimerService } from '../../common/functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import { FailedPreconditionError } from '../../core/errors.js';
import { bindUserFunction } from '../user-function.js';
import { promiseReturned } from './promise-returned.js';
import { AbstractStreamOperator, visibleTimestamp } from './abstract-stream-operator.js';

/** Kind `process`. */
export class ProcessOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown, ctx: ProcessContext, out: Collector<unknown>) => void;
  private timestamp = 0;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };
  private readonly context: ProcessContext;

  constructor(name: string, userFunction: unknown) {
    super(name, userFunction);
    this.fn = bindUserFunction(userFunction, 'processElement', name);
    const timers: TimerService = {
      currentProcessingTime: () => this.ctx.currentProcessingTime(),
      currentWatermark: () => this.currentWatermark,
      registerEventTimeTimer: () => this.noTimers(),
      registerProcessingTimeTimer: () => this.noTimers(),
      deleteEventTimeTimer: () => this.noTimers(),
      deleteProcessingTimeTimer: () => this.noTimers(),
    };
    this.context = {
      timestamp: () => visibleTimestamp(this.timestamp),
      timerService: () => timers,
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag.id, value, this.timestamp),
    };
  }

  private noTimers(): never {
    throw new FailedPreconditionError(`${this.name}: setting timers is only supported on a keyed stream (apply keyBy() first)`);
  }

  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.fn(value, this.context, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
    if (r !== undefined) {
      const e = promiseReturned(this.name, 'processElement', r);
      if (e) throw e;
    }
  }
}
