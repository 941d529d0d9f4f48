/**
 * The `coFlatMap` operator: `flatMap1` for records of the first input, `flatMap2` for the
 * second; emitted records keep the input's timestamp. On keyed connected streams the record's
 * key is made current first.
 */
import type { Collector } from '../../common/functions.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import type { InputKeySelectors } from './co-input-keys.js';

/** Kind `coFlatMap`. */
export class CoFlatMapOperator extends AbstractStreamOperator {
  private readonly flatMap1: (value: unknown, out: Collector<unknown>) => void;
  private readonly flatMap2: (value: unknown, out: Collector<unknown>) => void;
  private timestamp = 0;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.timestamp) };

  constructor(name: string, userFunction: unknown, private readonly keys: InputKeySelectors | undefined) {
    super(name, userFunction, 2);
    this.flatMap1 = bindUserFunction(userFunction, 'flatMap1', name);
    this.flatMap2 = bindUserFunction(userFunction, 'flatMap2', name);
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    this.timestamp = timestamp;
    try {
      if (this.keys) this.ctx.keyedStateBackend!.setCurrentKey(this.keys[input]!(value));
      if (input === 0) this.flatMap1(value, this.collector);
      else this.flatMap2(value, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }
}
