/**
 * State descriptors: a name plus what the runtime needs to create the state. The state
 * itself is synchronous, like Flink's: `value()` returns the value, not a promise.
 */
import type { AggregateFunction, ReduceFunction } from './functions.js';

/** Time-to-live of keyed state entries (processing time). */
export interface StateTtlConfig {
  ttlMs: number;
  updateType: 'OnCreateAndWrite' | 'OnReadAndWrite';
  /** Expired values are never returned (the only visibility Fluss offers). */
  stateVisibility: 'NeverReturnExpired';
}

/** Builds a {@link StateTtlConfig}: `StateTtlConfig.newBuilder(Time.minutes(5)).updateTtlOnReadAndWrite().build()`. */
export const StateTtlConfig = {
  newBuilder(ttlMs: number) {
    const cfg: StateTtlConfig = { ttlMs, updateType: 'OnCreateAndWrite', stateVisibility: 'NeverReturnExpired' };
    const builder = {
      updateTtlOnCreateAndWrite() { cfg.updateType = 'OnCreateAndWrite'; return builder; },
      updateTtlOnReadAndWrite() { cfg.updateType = 'OnReadAndWrite'; return builder; },
      setUpdateType(t: StateTtlConfig['updateType']) { cfg.updateType = t; return builder; },
      neverReturnExpired() { return builder; },
      build(): StateTtlConfig { return { ...cfg }; },
    };
    return builder;
  },
};

/** Common base of every descriptor. */
export abstract class StateDescriptor<T> {
  abstract readonly kind: 'value' | 'list' | 'map' | 'reducing' | 'aggregating';
  ttl: StateTtlConfig | undefined;
  declare readonly __type?: T;

  constructor(readonly name: string) {
    if (!name) throw new Error('state name must not be empty');
  }

  /** Enables time-to-live for this state. */
  enableTimeToLive(ttl: StateTtlConfig): void {
    this.ttl = ttl;
  }
}

/** A single value per key. `defaultValue` is returned while nothing was stored. */
export class ValueStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'value' as const;
  constructor(name: string, readonly defaultValue?: T) {
    super(name);
  }
}

/** A list per key (or per subtask, as operator state). */
export class ListStateDescriptor<T> extends StateDescriptor<T[]> {
  readonly kind = 'list' as const;
  constructor(name: string) {
    super(name);
  }
}

/** A map per key. */
export class MapStateDescriptor<UK, UV> extends StateDescriptor<Map<UK, UV>> {
  readonly kind = 'map' as const;
  constructor(name: string) {
    super(name);
  }
}

/** A value per key folded by a reduce function. */
export class ReducingStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'reducing' as const;
  constructor(name: string, readonly reduceFunction: ReduceFunction<T>) {
    super(name);
  }
}

/** A value per key folded by an aggregate function. */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor<ACC> {
  readonly kind = 'aggregating' as const;
  declare readonly __out?: OUT;
  constructor(name: string, readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>) {
    super(name);
  }
}
