/** The `filter` operator: forwards the records its predicate accepts. */
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';

/** Kind `filter`. */
export class FilterOperator extends AbstractStreamOperator {
  private readonly fn: (value: unknown) => boolean;

  constructor(name: string, userFunction: unknown) {
    super(name, userFunction);
    this.fn = bindUserFunction(userFunction, 'filter', name);
  }

  processElement(value: unknown, timestamp: number): void {
    let keep: boolean;
    try {
      keep = this.fn(value);
    } catch (err) {
      throw this.userError(err);
    }
    if (keep) this.output.collect(value, timestamp);
  }
}
