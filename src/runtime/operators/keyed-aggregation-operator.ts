/**
 * The `keyedAggregation` operator: `sum`, `min`, `max`, `minBy`, `maxBy` on a property name, a
 * tuple index, or the record itself (field null), with Flink's semantics (see
 * {@link FieldAggregator}): `sum`/`min`/`max` keep every other field of the key's first record
 * and update only the aggregated field; `minBy`/`maxBy` emit the whole record holding the
 * extreme value (the first one on ties unless `first` is false). Emits the running aggregate
 * after every record.
 */
import { copyRecord, FieldAggregator, type AggregationKind } from '../../common/field-aggregation.js';
import type { KeySelector } from '../../common/functions.js';
import { VOID_NAMESPACE } from '../../state/keyed-state-backend.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';

/** The aggregations a keyed stream offers. */
export type AggregationType = AggregationKind;

/** Settings of a `keyedAggregation` node. */
export interface AggregationSettings {
  aggregation: AggregationType;
  field: string | number | null;
  /** minBy/maxBy: keep the earlier record on ties; absent means true (Flink's default). */
  first?: boolean;
}

/** Name of the state holding each key's aggregate. */
export const AGGREGATION_STATE_NAME = '_aggregate';

/** Kind `keyedAggregation`. */
export class KeyedAggregationOperator extends AbstractStreamOperator {
  private readonly keyOf: (value: unknown) => unknown;
  private readonly aggregator: FieldAggregator;
  private readonly byRecord: boolean;

  constructor(name: string, settings: Record<string, unknown>, keySelector: KeySelector<unknown, unknown> | undefined) {
    super(name, undefined);
    const { aggregation, field, first } = settings as unknown as AggregationSettings;
    this.aggregator = new FieldAggregator(aggregation, field ?? null, first !== false);
    this.byRecord = aggregation === 'minBy' || aggregation === 'maxBy';
    this.keyOf = bindKeySelector(keySelector, name);
  }

  protected override onOpen(): void {
    this.ctx.keyedStateBackend!.registerState(AGGREGATION_STATE_NAME, 'value');
  }

  processElement(value: unknown, timestamp: number): void {
    const backend = this.ctx.keyedStateBackend!;
    let result: unknown;
    try {
      backend.setCurrentKey(this.keyOf(value));
      const current = backend.get(AGGREGATION_STATE_NAME, VOID_NAMESPACE);
      result = current === undefined ? this.first(value) : this.aggregator.reduce(current, value);
    } catch (err) {
      throw this.userError(err);
    }
    backend.put(AGGREGATION_STATE_NAME, VOID_NAMESPACE, result);
    this.output.collect(result, timestamp);
  }

  /** The aggregate of a key's first record: a copy for sum/min/max, so later updates never touch the input. */
  private first(value: unknown): unknown {
    this.aggregator.check(value);
    return this.byRecord ? value : copyRecord(value);
  }
}
