/** The `filter` operator: forwards the records its predicate accepts. */
import type { KeySelector } from '../../common/functions.js';
import { bindUserFunction } from '../user-function.js';
import { promiseReturned } from './promise-returned.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';

/** Kind `filter`. */
export class FilterOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown) => boolean;

  /** On a keyed stream: the record's key, made current so the function may use keyed state (as in Flink). */
  private readonly keyOf: ((value: unknown) => unknown) | undefined;

  constructor(name: string, userFunction: unknown, keySelector?: KeySelector<unknown, unknown>) {
    super(name, userFunction);
    this.keyOf = keySelector ? bindKeySelector(keySelector, name) : undefined;
    this.fn = bindUserFunction(userFunction, 'filter', name);
  }

  processElement(value: unknown, timestamp: number): void {
    let keep: boolean;
    try {
      if (this.keyOf) this.ctx.keyedStateBackend!.setCurrentKey(this.keyOf(value));
      keep = this.fn(value);
    } catch (err) {
      throw this.userError(err);
    }
    if (typeof keep !== 'boolean') {
      const e = promiseReturned(this.name, 'filter', keep);
      if (e) throw e;
    }
    if (keep) this.output.collect(value, timestamp);
  }
}
