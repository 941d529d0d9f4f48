/**
 * The `keyedAggregation` operator: `sum`, `min`, `max`, `minBy`, `maxBy` on a property name, a
 * tuple index, or the record itself (field null), with Flink's semantics: `sum`/`min`/`max`
 * keep every other field of the key's first record and update only the aggregated field;
 * `minBy`/`maxBy` emit the whole record holding the extreme value (the first one on ties).
 * Emits the running aggregate after every record.
 */
import type { KeySelector } from '../../api/functions.js';
import { VOID_NAMESPACE } from '../../state/keyed-state-backend.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';

/** The aggregations a keyed stream offers. */
export type AggregationType = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

/** Settings of a `keyedAggregation` node. */
export interface AggregationSettings {
  aggregation: AggregationType;
  field: string | number | null;
}

/** Name of the state holding each key's aggregate. */
export const AGGREGATION_STATE_NAME = '_aggregate';

/** Kind `keyedAggregation`. */
export class KeyedAggregationOperator extends AbstractStreamOperator {
  private readonly keyOf: (value: unknown) => unknown;
  private readonly aggregation: AggregationType;
  private readonly field: string | number | null;

  constructor(name: string, settings: Record<string, unknown>, keySelector: KeySelector<unknown, unknown> | undefined) {
    super(name, undefined);
    const { aggregation, field } = settings as unknown as AggregationSettings;
    if (!['sum', 'min', 'max', 'minBy', 'maxBy'].includes(aggregation)) throw new TypeError(`${name}: unknown aggregation ${String(aggregation)}`);
    this.aggregation = aggregation;
    this.field = field ?? null;
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
      result = current === undefined ? this.first(value) : this.combine(current, value);
    } catch (err) {
      throw this.userError(err);
    }
    backend.put(AGGREGATION_STATE_NAME, VOID_NAMESPACE, result);
    this.output.collect(result, timestamp);
  }

  /** The aggregate of a key's first record: a copy, so later updates never touch the input. */
  private first(value: unknown): unknown {
    this.fieldOf(value);
    return this.aggregation === 'minBy' || this.aggregation === 'maxBy' ? value : copyRecord(value);
  }

  private combine(acc: unknown, value: unknown): unknown {
    const a = this.fieldOf(acc);
    const b = this.fieldOf(value);
    switch (this.aggregation) {
      case 'sum':
        return this.withField(acc, (a as number) + (b as number));
      case 'min':
        return b < a ? this.withField(acc, b) : acc;
      case 'max':
        return b > a ? this.withField(acc, b) : acc;
      case 'minBy':
        return b < a ? value : acc;
      case 'maxBy':
        return b > a ? value : acc;
    }
  }

  /** Reads the aggregated field; it must be a number, bigint, string or Date. */
  private fieldOf(record: unknown): number | bigint | string {
    const f = this.field;
    const v = f === null ? record : (record as Record<string | number, unknown> | null)?.[f];
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    if (typeof v === 'string' && this.aggregation !== 'sum') return v;
    if (v instanceof Date) return v.getTime();
    const where = f === null ? 'the record' : typeof f === 'number' ? `tuple field ${f}` : `field "${f}"`;
    throw new TypeError(`cannot ${this.aggregation} ${where}: ${JSON.stringify(v) ?? String(v)} is not a number`);
  }

  /** A copy of `acc` (already private to this operator) with the field set. */
  private withField(acc: unknown, v: unknown): unknown {
    if (this.field === null) return v;
    const copy = copyRecord(acc) as Record<string | number, unknown>;
    copy[this.field] = v;
    return copy;
  }
}

/** A shallow copy keeping arrays arrays and class instances their prototype. */
function copyRecord(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice();
  if (value !== null && typeof value === 'object') return Object.assign(Object.create(Object.getPrototypeOf(value) as object) as object, value);
  return value;
}
