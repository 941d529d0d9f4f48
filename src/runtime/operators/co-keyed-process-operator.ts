/**
 * The `keyedCoProcess` operator: runs a KeyedCoProcessFunction on two keyed connected streams.
 * Each record's key (by its input's key selector) is made current before the call, so both
 * inputs read and write the same keyed state and timers for a key; timers fire `onTimer`
 * with their key current. Records emitted from an event-time timer carry the timer's
 * timestamp; from a processing-time timer, none.
 */
import type { Collector, OnTimerContext } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import { NO_TIMESTAMP } from '../stream-element.js';
import type { Timer } from '../timer-heap.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator, visibleTimestamp } from './abstract-stream-operator.js';
import type { InputKeySelectors } from './co-input-keys.js';

type ElementFn = (value: unknown, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void;
type TimerFn = (timestamp: number, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void;

/** Kind `keyedCoProcess`. */
export class KeyedCoProcessOperator extends AbstractStreamOperator {
  private readonly fn1: ElementFn;
  private readonly fn2: ElementFn;
  private readonly onTimerFn: TimerFn | undefined;
  private timestamp = 0;
  /** What `ctx.timestamp()` returns: the record's, or the firing timer's. */
  private contextTimestamp = 0;
  private domain: 'EVENT_TIME' | 'PROCESSING_TIME' = 'EVENT_TIME';
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };
  private readonly context: OnTimerContext<unknown>;

  constructor(name: string, userFunction: unknown, private readonly keys: InputKeySelectors) {
    super(name, userFunction, 2);
    this.fn1 = bindUserFunction(userFunction, 'processElement1', name);
    this.fn2 = bindUserFunction(userFunction, 'processElement2', name);
    const onTimer = (userFunction as { onTimer?: unknown }).onTimer;
    this.onTimerFn = typeof onTimer === 'function' ? (onTimer.bind(userFunction) as TimerFn) : undefined;
    this.context = {
      timestamp: () => visibleTimestamp(this.contextTimestamp),
      timerService: () => this.ctx.timerService!,
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag.id, value, this.timestamp),
      getCurrentKey: () => this.ctx.keyedStateBackend!.getCurrentKey(),
      timeDomain: () => this.domain,
    };
  }

  protected override onOpen(): void {
    this.ctx.timerService!.setCallback((timer, domain) => this.onTimer(timer, domain));
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    this.timestamp = timestamp;
    this.contextTimestamp = timestamp;
    try {
      this.ctx.keyedStateBackend!.setCurrentKey(this.keys[input]!(value));
      if (input === 0) this.fn1(value, this.context, this.collector);
      else this.fn2(value, this.context, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }

  private onTimer(timer: Timer, domain: 'EVENT_TIME' | 'PROCESSING_TIME'): void {
    if (!this.onTimerFn) return;
    this.domain = domain;
    this.timestamp = domain === 'EVENT_TIME' ? timer.timestamp : NO_TIMESTAMP;
    this.contextTimestamp = timer.timestamp;
    try {
      this.onTimerFn(timer.timestamp, this.context, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }

  fireProcessingTimers(now: number): void {
    this.ctx.timerService!.fireProcessingTimers(now);
  }
}
