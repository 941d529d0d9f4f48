/**
 * The `coProcess` operator: runs a CoProcessFunction on two non-keyed connected streams.
 * Records of input 0 go to `processElement1`, of input 1 to `processElement2`. As in Flink,
 * timers need keyed inputs (`connect(...).keyBy(k1, k2)`); registering one here is an error
 * naming the operator.
 */
import type { Collector, ProcessContext, TimerService } from '../../common/functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import { FailedPreconditionError } from '../../core/errors.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator, visibleTimestamp } from './abstract-stream-operator.js';

type ElementFn = (value: unknown, ctx: ProcessContext, out: Collector<unknown>) => void;

/** Kind `coProcess`. */
export class CoProcessOperator extends AbstractStreamOperator {
  private readonly fn1: ElementFn;
  private readonly fn2: ElementFn;
  private timestamp = 0;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };
  private readonly context: ProcessContext;

  constructor(name: string, userFunction: unknown) {
    super(name, userFunction, 2);
    this.fn1 = bindUserFunction(userFunction, 'processElement1', name);
    this.fn2 = bindUserFunction(userFunction, 'processElement2', name);
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
    throw new FailedPreconditionError(`${this.name}: setting timers is only supported on keyed connected streams (apply keyBy(k1, k2) first)`);
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    this.timestamp = timestamp;
    try {
      if (input === 0) this.fn1(value, this.context, this.collector);
      else this.fn2(value, this.context, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }
}
