/**
 * The `keyedReduce` operator: folds each key's records with the reduce function and emits the
 * running reduced value after every record, like Flink's StreamGroupedReduceOperator.
 */
import { callReduce } from '../../state/keyed-states.js';
import type { KeySelector, ReduceFunction } from '../../common/functions.js';
import { VOID_NAMESPACE } from '../../state/keyed-state-backend.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** Name of the state holding each key's reduced value. */
export const REDUCE_STATE_NAME = '_reduce_value';

/** Kind `keyedReduce`. */
export class KeyedReduceOperator extends AbstractStreamOperator {
  private readonly keyOf: (value: unknown) => unknown;

  constructor(name: string, private readonly reduce: ReduceFunction<unknown>, keySelector: KeySelector<unknown, unknown> | undefined) {
    super(name, reduce);
    if (typeof reduce !== 'function' && typeof (reduce as { reduce?: unknown })?.reduce !== 'function') {
      throw new InvalidArgumentError(`${name}: expected a reduce function or an object with reduce()`);
    }
    this.keyOf = bindKeySelector(keySelector, name);
  }

  protected override onOpen(): void {
    this.ctx.keyedStateBackend!.registerState(REDUCE_STATE_NAME, 'value');
  }

  processElement(value: unknown, timestamp: number): void {
    const backend = this.ctx.keyedStateBackend!;
    let result: unknown;
    try {
      backend.setCurrentKey(this.keyOf(value));
      const current = backend.get(REDUCE_STATE_NAME, VOID_NAMESPACE);
      result = current === undefined ? value : callReduce(this.reduce, current, value);
    } catch (err) {
      throw this.userError(err);
    }
    backend.put(REDUCE_STATE_NAME, VOID_NAMESPACE, result);
    this.output.collect(result, timestamp);
  }
}
