/** The `flatMap` operator: any number of outputs per input, keeping the input's timestamp. */
import type { Collector } from '../../api/functions.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';

/** Kind `flatMap`. */
export class FlatMapOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown, out: Collector<unknown>) => void;
  private timestamp = 0;
  /** One collector for the operator's lifetime; records take the current input's timestamp. */
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };

  constructor(name: string, userFunction: unknown) {
    super(name, userFunction);
    this.fn = bindUserFunction(userFunction, 'flatMap', name);
  }

  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    try {
      this.fn(value, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }
}
