/** The `map` operator: one output per input, keeping the input's timestamp. */
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';

/** Kind `map`. */
export class MapOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown) => unknown;

  constructor(name: string, userFunction: unknown) {
    super(name, userFunction);
    this.fn = bindUserFunction(userFunction, 'map', name);
  }

  processElement(value: unknown, timestamp: number): void {
    let result: unknown;
    try {
      result = this.fn(value);
    } catch (err) {
      throw this.userError(err);
    }
    this.output.collect(result, timestamp);
  }
}
