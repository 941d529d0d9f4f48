/**
 * The contents of a key's windows in the keyed state backend: one entry per (key, window), the
 * namespace being the window id. Kept as all elements, a running reduce, an aggregate's
 * accumulator, or (with an evictor) all elements with their timestamps. Merging folds the
 * entries of merged session windows into the surviving state window. Values stay plain
 * (arrays, user values) so any backend can store them.
 */
import type { AggregateFunction, ReduceFunction } from '../../common/functions.js';
import type { TimestampedValue } from '../../common/windowing/evictors.js';
import type { WindowAggregation } from '../../common/windowing/window-operator-spec.js';
import type { KeyedStateBackend, KeyedStateKind } from '../../state/keyed-state-backend.js';
import { callReduce } from '../../state/keyed-states.js';

/** Backend state holding window contents. */
export const WINDOW_CONTENTS_STATE = 'window-contents';

/** The contents of the current key's windows. */
export interface WindowContents {
  /** Backend kind the entries are registered as. */
  readonly kind: KeyedStateKind;
  add(namespace: string, value: unknown, timestamp: number): void;
  /** What the window function receives, or undefined when the window is empty. */
  get(namespace: string): unknown[] | undefined;
  clear(namespace: string): void;
  /** Folds the entries of `sources` into `target` and removes them. */
  merge(target: string, sources: readonly string[]): void;
}

/** Every element, in arrival order. */
class ListContents implements WindowContents {
  readonly kind = 'list';
  constructor(protected readonly backend: KeyedStateBackend) {}

  add(namespace: string, value: unknown, _timestamp?: number): void {
    const list = this.backend.get(WINDOW_CONTENTS_STATE, namespace) as unknown[] | undefined;
    if (list) list.push(value);
    // Written back even when mutated in place, so a caching backend sees the change.
    this.backend.put(WINDOW_CONTENTS_STATE, namespace, list ?? [value]);
  }

  get(namespace: string): unknown[] | undefined {
    const list = this.backend.get(WINDOW_CONTENTS_STATE, namespace) as unknown[] | undefined;
    return list && list.length > 0 ? list : undefined;
  }

  clear(namespace: string): void {
    this.backend.remove(WINDOW_CONTENTS_STATE, namespace);
  }

  merge(target: string, sources: readonly string[]): void {
    let merged = (this.backend.get(WINDOW_CONTENTS_STATE, target) as unknown[] | undefined) ?? [];
    for (const s of sources) {
      const list = this.backend.get(WINDOW_CONTENTS_STATE, s) as unknown[] | undefined;
      if (list) merged = merged.concat(list);
      this.backend.remove(WINDOW_CONTENTS_STATE, s);
    }
    if (merged.length > 0) this.backend.put(WINDOW_CONTENTS_STATE, target, merged);
  }
}

/** Every element with its timestamp (evicting windows). */
export class TimestampedListContents extends ListContents {
  override add(namespace: string, value: unknown, timestamp: number): void {
    super.add(namespace, { value, timestamp } satisfies TimestampedValue<unknown>, timestamp);
  }

  /** The stored elements with their timestamps (a copy the evictor may edit). */
  getTimestamped(namespace: string): TimestampedValue<unknown>[] | undefined {
    const list = super.get(namespace) as TimestampedValue<unknown>[] | undefined;
    return list ? list.slice() : undefined;
  }

  /** Replaces the stored elements (after eviction). */
  update(namespace: string, elements: readonly TimestampedValue<unknown>[]): void {
    if (elements.length === 0) this.clear(namespace);
    else this.backend.put(WINDOW_CONTENTS_STATE, namespace, [...elements]);
  }
}

/** A running reduce. */
class ReducingContents implements WindowContents {
  readonly kind = 'reducing';
  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly reduce: ReduceFunction<unknown>,
  ) {}

  add(namespace: string, value: unknown): void {
    const current = this.backend.get(WINDOW_CONTENTS_STATE, namespace);
    this.backend.put(WINDOW_CONTENTS_STATE, namespace, current === undefined ? value : callReduce(this.reduce, current, value));
  }

  get(namespace: string): unknown[] | undefined {
    const v = this.backend.get(WINDOW_CONTENTS_STATE, namespace);
    return v === undefined ? undefined : [v];
  }

  clear(namespace: string): void {
    this.backend.remove(WINDOW_CONTENTS_STATE, namespace);
  }

  merge(target: string, sources: readonly string[]): void {
    let acc = this.backend.get(WINDOW_CONTENTS_STATE, target);
    for (const s of sources) {
      const v = this.backend.get(WINDOW_CONTENTS_STATE, s);
      if (v !== undefined) acc = acc === undefined ? v : callReduce(this.reduce, acc, v);
      this.backend.remove(WINDOW_CONTENTS_STATE, s);
    }
    if (acc !== undefined) this.backend.put(WINDOW_CONTENTS_STATE, target, acc);
  }
}

/** An aggregate's accumulator. */
class AggregatingContents implements WindowContents {
  readonly kind = 'aggregating';
  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly fn: AggregateFunction<unknown, unknown, unknown>,
  ) {}

  add(namespace: string, value: unknown): void {
    const acc = this.backend.get(WINDOW_CONTENTS_STATE, namespace) ?? this.fn.createAccumulator();
    this.backend.put(WINDOW_CONTENTS_STATE, namespace, this.fn.add(value, acc));
  }

  get(namespace: string): unknown[] | undefined {
    const acc = this.backend.get(WINDOW_CONTENTS_STATE, namespace);
    return acc === undefined ? undefined : [this.fn.getResult(acc)];
  }

  clear(namespace: string): void {
    this.backend.remove(WINDOW_CONTENTS_STATE, namespace);
  }

  merge(target: string, sources: readonly string[]): void {
    let acc = this.backend.get(WINDOW_CONTENTS_STATE, target);
    for (const s of sources) {
      const v = this.backend.get(WINDOW_CONTENTS_STATE, s);
      if (v !== undefined) acc = acc === undefined ? v : this.fn.merge(acc, v);
      this.backend.remove(WINDOW_CONTENTS_STATE, s);
    }
    if (acc !== undefined) this.backend.put(WINDOW_CONTENTS_STATE, target, acc);
  }
}

/** Contents kept as `aggregation` says, registered in `backend`. */
export function createWindowContents(backend: KeyedStateBackend, aggregation: WindowAggregation): WindowContents {
  const contents =
    aggregation.kind === 'reduce'
      ? new ReducingContents(backend, aggregation.fn)
      : aggregation.kind === 'aggregate'
        ? new AggregatingContents(backend, aggregation.fn)
        : new ListContents(backend);
  backend.registerState(WINDOW_CONTENTS_STATE, contents.kind);
  return contents;
}

/** Folds elements the way `aggregation` does (evicting windows aggregate when they fire). */
export function foldElements(aggregation: WindowAggregation, values: readonly unknown[]): unknown[] {
  if (aggregation.kind === 'list' || values.length === 0) return values as unknown[];
  if (aggregation.kind === 'reduce') {
    let acc = values[0];
    for (let i = 1; i < values.length; i++) acc = callReduce(aggregation.fn, acc, values[i]);
    return [acc];
  }
  let acc = aggregation.fn.createAccumulator();
  for (const v of values) acc = aggregation.fn.add(v, acc);
  return [aggregation.fn.getResult(acc)];
}
