/**
 * The `keyedCoProcess` operator: runs a KeyedCoProcessFunction on two keyed connected streams.
 * Each record's key (by its input's key selector) is made current before the call, so both
 * inputs read and write the same keyed state and timers for a key; timers fire `onTimer`
 * with their key current. Records emitted from an event-time timer carry the timer's
 * timestamp; from a processing-time timer, none.
 */
import type { Collector, OnTimerContext } from '../../common/functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import { bindUserFunction } from '../user-function.js';
import { visibleTimestamp } from './abstract-stream-operator.js';
import type { InputKeySelectors } from './co-input-keys.js';
import { KeyedTimerOperator } from './keyed-timer-operator.js';

type ElementFn = (value: unknown, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void;

/** Kind `keyedCoProcess`. */
export class KeyedCoProcessOperator extends KeyedTimerOperator<OnTimerContext<unknown>> {
  private readonly fn1: ElementFn;
  private readonly fn2: ElementFn;
  protected readonly keyedContext: OnTimerContext<unknown>;

  constructor(name: string, userFunction: unknown, private readonly keys: InputKeySelectors) {
    super(name, userFunction, 2);
    this.fn1 = bindUserFunction(userFunction, 'processElement1', name);
    this.fn2 = bindUserFunction(userFunction, 'processElement2', name);
    this.keyedContext = {
      timestamp: () => visibleTimestamp(this.contextTimestamp),
      timerService: () => this.ctx.timerService!,
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag.id, value, this.timestamp),
      getCurrentKey: () => this.ctx.keyedStateBackend!.getCurrentKey(),
      timeDomain: () => this.domain,
    };
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    this.timestamp = timestamp;
    this.contextTimestamp = timestamp;
    try {
      this.ctx.keyedStateBackend!.setCurrentKey(this.keys[input]!(value));
      if (input === 0) this.fn1(value, this.keyedContext, this.collector);
      else this.fn2(value, this.keyedContext, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }
}
