/**
 * The built-in field aggregations `sum`, `min`, `max`, `minBy`, `maxBy` (Flink's SumAggregator
 * and ComparableAggregator), shared by rolling keyed aggregations and window aggregations.
 *
 * A field is a tuple position (an index into an array record), a property name, a dotted path
 * into nested objects (`"user.age"`), Flink's tuple names `"f0"`, `"f1"`, … on arrays, or the
 * record itself (`"*"`, or position 0 of a number/string/bigint/Date record, as Flink allows on
 * basic types). Semantics follow Flink's reduce of `(value1, value2)`, value1 being the
 * aggregate so far:
 * - `sum`: a copy of value1 whose field is the sum;
 * - `min`/`max`: value1, with the field replaced by value2's unless value1's is strictly
 *   smaller/larger — every other field keeps the first element's values;
 * - `minBy`/`maxBy`: the whole record holding the extreme value; on ties value1 when `first`
 *   (the default), else value2.
 * Records are never mutated: a changed aggregate is a copy (arrays stay arrays, class instances
 * keep their prototype).
 */
import { InvalidArgumentError, JobBuildError } from '../core/errors.js';
import type { AggregateFunction } from './functions.js';

/** Built-in aggregations of keyed and windowed streams. */
export type AggregationKind = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

/** A field of a record: a property name (or dotted path), or an index into a tuple (array). */
export type FieldExpression = string | number;

const KINDS: readonly AggregationKind[] = ['sum', 'min', 'max', 'minBy', 'maxBy'];

/** Checks a field expression while the job is built. */
export function checkFieldExpression(api: string, field: unknown): asserts field is FieldExpression | undefined {
  if (field === undefined) return;
  if (typeof field === 'number') {
    if (!(Number.isInteger(field) && field >= 0)) throw new JobBuildError(`${api}() expects a property name or a tuple index, got ${String(field)}`);
    return;
  }
  if (typeof field !== 'string') throw new JobBuildError(`${api}() expects a property name or a tuple index, got ${String(field)}`);
  if (field === '' || field.split('.').some((p) => p === '')) throw new JobBuildError(`${api}() expects a non-empty property name, got "${field}"`);
}

/**
 * The key selector of Flink's deprecated positional / field-name `keyBy(0)` / `keyBy("word")`:
 * reads the field (tuple position, property, dotted path or `fN` name) of each record.
 */
export function fieldKeySelector(field: FieldExpression): (record: unknown) => unknown {
  checkFieldExpression('keyBy', field);
  const path = typeof field === 'number' ? [field] : field.split('.');
  const where = typeof field === 'number' ? `tuple field ${field}` : `field "${field}"`;
  return (record) => {
    let v: unknown = record;
    for (const p of path) v = v === null || v === undefined ? undefined : (v as Record<string | number, unknown>)[keyIn(v, p)];
    if (v === undefined) throw new InvalidArgumentError(`keyBy(${JSON.stringify(field)}): the record has no ${where}`);
    return v;
  };
}

/** A comparable or summable field value. */
type FieldValue = number | bigint | string | boolean | Date;

/** Reads and (copy-on-)writes one field of records. */
class FieldAccessor {
  private readonly path: readonly (string | number)[] | null;

  constructor(
    private readonly kind: AggregationKind,
    readonly field: FieldExpression | null,
  ) {
    this.path = field === null || field === '*' || field === '_' ? null : typeof field === 'number' ? [field] : field.split('.');
  }

  /** The field's value; throws a one-line TypeError when it is missing or not comparable. */
  get(record: unknown): FieldValue {
    let v: unknown = record;
    if (this.path !== null) {
      if (this.path.length === 1 && this.path[0] === 0 && isAtomic(record)) return record as FieldValue;
      for (const p of this.path) v = v === null || v === undefined ? undefined : (v as Record<string | number, unknown>)[keyIn(v, p)];
    }
    if (typeof v === 'number' || typeof v === 'bigint' || v instanceof Date) return v;
    if ((typeof v === 'string' || typeof v === 'boolean') && this.kind !== 'sum') return v;
    throw new InvalidArgumentError(`cannot ${this.kind} ${this.describe()}: ${describe(v)} is not ${this.kind === 'sum' ? 'a number or bigint' : 'a number, bigint, string, boolean or Date'}`);
  }

  /** A copy of `record` with the field set to `value` (the value itself for the whole record). */
  set(record: unknown, value: FieldValue): unknown {
    if (this.path === null || (this.path.length === 1 && this.path[0] === 0 && isAtomic(record))) return value;
    return setIn(record, this.path, 0, value);
  }

  describe(): string {
    const f = this.field;
    return f === null || this.path === null ? 'the record' : typeof f === 'number' ? `tuple field ${f}` : `field "${f}"`;
  }
}

function isAtomic(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean' || v instanceof Date;
}

/** Flink's tuple field names `f0`, `f1`, … address array positions. */
function keyIn(container: unknown, p: string | number): string | number {
  if (typeof p === 'string' && Array.isArray(container) && !(p in container)) {
    const m = /^f(\d+)$/.exec(p);
    if (m) return Number(m[1]);
  }
  return p;
}

function setIn(record: unknown, path: readonly (string | number)[], i: number, value: unknown): unknown {
  const copy = copyRecord(record) as Record<string | number, unknown>;
  const key = keyIn(record, path[i]!);
  copy[key] = i === path.length - 1 ? value : setIn(copy[key], path, i + 1, value);
  return copy;
}

/** A shallow copy keeping arrays arrays and class instances their prototype. */
export function copyRecord(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice();
  if (value !== null && typeof value === 'object') return Object.assign(Object.create(Object.getPrototypeOf(value) as object) as object, value);
  return value;
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Java's `compareTo` over field values: negative, zero or positive. */
function compare(a: FieldValue, b: FieldValue): number {
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (typeof x !== typeof y) throw new InvalidArgumentError(`cannot compare ${describe(a)} with ${describe(b)}: the field holds values of different types`);
  return x < y ? -1 : x > y ? 1 : 0;
}

function add(a: FieldValue, b: FieldValue): FieldValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  throw new InvalidArgumentError(`cannot sum ${describe(a)} and ${describe(b)}: the field holds values of different types`);
}

/**
 * One of Flink's field aggregations as a reduce function (`reduce(aggregate, next)`), plus
 * `check` to validate a first record that is never reduced.
 */
export class FieldAggregator {
  private readonly accessor: FieldAccessor;

  constructor(
    readonly kind: AggregationKind,
    field: FieldExpression | null | undefined,
    /** For minBy/maxBy: on ties keep the earlier record (Flink's default) rather than the later one. */
    readonly first = true,
  ) {
    if (!KINDS.includes(kind)) throw new InvalidArgumentError(`unknown aggregation ${String(kind)}`);
    this.accessor = new FieldAccessor(kind, field ?? null);
  }

  /** Throws when `record` has no aggregatable value at the field. */
  check(record: unknown): void {
    this.accessor.get(record);
  }

  /** Flink's `reduce(value1, value2)`: value1 is the aggregate so far, value2 the next record. */
  reduce(value1: unknown, value2: unknown): unknown {
    const o1 = this.accessor.get(value1);
    const o2 = this.accessor.get(value2);
    switch (this.kind) {
      case 'sum':
        return this.accessor.set(value1, add(o1, o2));
      case 'min':
        return compare(o1, o2) < 0 ? value1 : this.accessor.set(value1, o2);
      case 'max':
        return compare(o1, o2) > 0 ? value1 : this.accessor.set(value1, o2);
      case 'minBy': {
        const c = compare(o1, o2);
        return c < 0 || (c === 0 && this.first) ? value1 : value2;
      }
      case 'maxBy': {
        const c = compare(o1, o2);
        return c > 0 || (c === 0 && this.first) ? value1 : value2;
      }
    }
  }
}

/**
 * A {@link FieldAggregator} as a window's AggregateFunction: the accumulator is the aggregate
 * record itself, and every element — the first of a window too — is checked, so a wrong field
 * fails on the first record rather than passing single-element windows through unchecked.
 */
export class FieldAggregateFunction implements AggregateFunction<unknown, unknown, unknown> {
  constructor(private readonly aggregator: FieldAggregator) {}

  createAccumulator(): unknown {
    return undefined;
  }

  add(value: unknown, acc: unknown): unknown {
    if (acc === undefined) {
      this.aggregator.check(value);
      return value;
    }
    return this.aggregator.reduce(acc, value);
  }

  getResult(acc: unknown): unknown {
    return acc;
  }

  /** Merged session windows: the surviving window's aggregate is value1. */
  merge(a: unknown, b: unknown): unknown {
    if (a === undefined) return b;
    if (b === undefined) return a;
    return this.aggregator.reduce(a, b);
  }
}
