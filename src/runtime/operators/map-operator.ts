/** The `map` operator: one output per input, keeping the input's timestamp. */
import type { KeySelector } from '../../common/functions.js';
import { bindUserFunction } from '../user-function.js';
import { promiseReturned } from './promise-returned.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';

/** Kind `map`. */
export class MapOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown) => unknown;

  /** On a keyed stream: the record's key, made current so the function may use keyed state (as in Flink). */
  private readonly keyOf: ((value: unknown) => unknown) | undefined;

  constructor(name: string, userFunction: unknown, keySelector?: KeySelector<unknown, unknown>) {
    super(name, userFunction);
    this.keyOf = keySelector ? bindKeySelector(keySelector, name) : undefined;
    this.fn = bindUserFunction(userFunction, 'map', name);
  }

  processElement(value: unknown, timestamp: number): void {
    let result: unknown;
    try {
      if (this.keyOf) this.ctx.keyedStateBackend!.setCurrentKey(this.keyOf(value));
      result = this.fn(value);
    } catch (err) {
      throw this.userError(err);
    }
    // typeof first: records that are not objects cost one comparison.
    if (typeof result === 'object' && result !== null) {
      const e = promiseReturned(this.name, 'map', result);
      if (e) throw e;
    }
    this.output.collect(result, timestamp);
  }
}
