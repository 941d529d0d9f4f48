/**
 * The `keyedProcess` operator: runs a KeyedProcessFunction. Before each record the key is
 * extracted and set as current in the keyed state backend (computing its key group once);
 * timers fire `onTimer` with that key current. Records emitted from an event-time timer carry
 * the timer's timestamp; from a processing-time timer, none.
 */
import type { Collector, KeySelector, OnTimerContext } from '../../common/functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import { bindUserFunction } from '../user-function.js';
import { visibleTimestamp } from './abstract-stream-operator.js';
import { promiseReturned } from './promise-returned.js';
import { KeyedTimerOperator } from './keyed-timer-operator.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** Binds a key selector (lambda or `{ getKey }`). */
export function bindKeySelector(selector: KeySelector<unknown, unknown> | undefined, operatorName: string): (value: unknown) => unknown {
  if (!selector) throw new InvalidArgumentError(`${operatorName}: keyed operator without a key selector`);
  return bindUserFunction(selector, 'getKey', operatorName);
}

/** Kind `keyedProcess`. */
export class KeyedProcessOperator extends KeyedTimerOperator<OnTimerContext<unknown>> {
  private readonly fn: (value: unknown, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void;
  private readonly keyOf: (value: unknown) => unknown;
  protected readonly keyedContext: OnTimerContext<unknown>;

  constructor(name: string, userFunction: unknown, keySelector: KeySelector<unknown, unknown> | undefined) {
    super(name, userFunction);
    this.fn = bindUserFunction(userFunction, 'processElement', name);
    this.keyOf = bindKeySelector(keySelector, name);
    this.keyedContext = {
      timestamp: () => visibleTimestamp(this.contextTimestamp),
      timerService: () => this.ctx.timerService!,
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag.id, value, this.timestamp),
      getCurrentKey: () => this.ctx.keyedStateBackend!.getCurrentKey(),
      timeDomain: () => this.domain,
    };
  }

  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    this.contextTimestamp = timestamp;
    let r: unknown;
    try {
      this.ctx.keyedStateBackend!.setCurrentKey(this.keyOf(value));
      r = this.fn(value, this.keyedContext, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
    if (r !== undefined) {
      const e = promiseReturned(this.name, 'processElement', r);
      if (e) throw e;
    }
  }
}
