/**
 * The `keyedProcess` operator: runs a KeyedProcessFunction. Before each record the key is
 * extracted and set as current in the keyed state backend (computing its key group once);
 * timers fire `onTimer` with that key current. Records emitted from an event-time timer carry
 * the timer's timestamp; from a processing-time timer, none.
 */
import type { Collector, KeySelector, OnTimerContext } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import { NO_TIMESTAMP } from '../stream-element.js';
import type { Timer } from '../timer-heap.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator, visibleTimestamp } from './abstract-stream-operator.js';

/** Binds a key selector (lambda or `{ getKey }`). */
export function bindKeySelector(selector: KeySelector<unknown, unknown> | undefined, operatorName: string): (value: unknown) => unknown {
  if (!selector) throw new TypeError(`${operatorName}: keyed operator without a key selector`);
  return bindUserFunction(selector, 'getKey', operatorName);
}

/** Kind `keyedProcess`. */
export class KeyedProcessOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void;
  private readonly onTimerFn: ((ts: number, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void) | undefined;
  private readonly keyOf: (value: unknown) => unknown;
  private timestamp = 0;
  /** What `ctx.timestamp()` returns: the record's, or the firing timer's. */
  private contextTimestamp = 0;
  private domain: 'EVENT_TIME' | 'PROCESSING_TIME' = 'EVENT_TIME';
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };
  private readonly context: OnTimerContext<unknown>;

  constructor(name: string, userFunction: unknown, keySelector: KeySelector<unknown, unknown> | undefined) {
    super(name, userFunction);
    this.fn = bindUserFunction(userFunction, 'processElement', name);
    const onTimer = (userFunction as { onTimer?: unknown }).onTimer;
    this.onTimerFn = typeof onTimer === 'function' ? onTimer.bind(userFunction) : undefined;
    this.keyOf = bindKeySelector(keySelector, name);
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

  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    this.contextTimestamp = timestamp;
    try {
      this.ctx.keyedStateBackend!.setCurrentKey(this.keyOf(value));
      this.fn(value, this.context, this.collector);
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
