/** The `flatMap` operator: any number of outputs per input, keeping the input's timestamp. */
import type { Collector, KeySelector } from '../../common/functions.js';
import { bindUserFunction } from '../user-function.js';
import { promiseReturned } from './promise-returned.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';

/** Kind `flatMap`. */
export class FlatMapOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown, out: Collector<unknown>) => void;
  private timestamp = 0;
  /** One collector for the operator's lifetime; records take the current input's timestamp. */
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };

  /** On a keyed stream: the record's key, made current so the function may use keyed state (as in Flink). */
  private readonly keyOf: ((value: unknown) => unknown) | undefined;

  constructor(name: string, userFunction: unknown, keySelector?: KeySelector<unknown, unknown>) {
    super(name, userFunction);
    this.keyOf = keySelector ? bindKeySelector(keySelector, name) : undefined;
    this.fn = bindUserFunction(userFunction, 'flatMap', name);
  }

  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    let r: unknown;
    try {
      if (this.keyOf) this.ctx.keyedStateBackend!.setCurrentKey(this.keyOf(value));
      r = this.fn(value, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
    if (r !== undefined) {
      const e = promiseReturned(this.name, 'flatMap', r);
      if (e) throw e;
    }
  }
}
