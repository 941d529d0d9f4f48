/**
 * The `coMap` operator: `map1` for records of the first input, `map2` for the second, one
 * output per input keeping the input's timestamp. On keyed connected streams the record's key
 * is made current first, so a rich CoMapFunction may use keyed state.
 */
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import type { InputKeySelectors } from './co-input-keys.js';

/** Kind `coMap`. */
export class CoMapOperator extends AbstractStreamOperator {
  private readonly map1: (value: unknown) => unknown;
  private readonly map2: (value: unknown) => unknown;

  constructor(name: string, userFunction: unknown, private readonly keys: InputKeySelectors | undefined) {
    super(name, userFunction, 2);
    this.map1 = bindUserFunction(userFunction, 'map1', name);
    this.map2 = bindUserFunction(userFunction, 'map2', name);
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    let result: unknown;
    try {
      if (this.keys) this.ctx.keyedStateBackend!.setCurrentKey(this.keys[input]!(value));
      result = input === 0 ? this.map1(value) : this.map2(value);
    } catch (err) {
      throw this.userError(err);
    }
    this.output.collect(result, timestamp);
  }
}
