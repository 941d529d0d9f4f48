/**
 * Keyed state handles scoped to a namespace that the window operator moves from window to
 * window: trigger state (`ctx.getPartitionedState`), a window function's `windowState()` and
 * `globalState()`. Handles are created once per state name and re-pointed at the current
 * window on every access. Also folds the entries of merged session windows into the surviving
 * window (`OnMergeContext.mergePartitionedState`).
 */
import type { KeyedStateStore } from '../../common/window-functions.js';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../../common/state-descriptors.js';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../../common/runtime-context.js';
import { FailedPreconditionError } from '../../core/errors.js';
import type { KeyedStateBackend, StateNamespace } from '../../state/keyed-state-backend.js';
import {
  callReduce,
  KeyedAggregatingState,
  KeyedListState,
  KeyedMapState,
  KeyedReducingState,
  KeyedValueState,
} from '../../state/keyed-states.js';
import { TtlPolicy } from '../../state/state-ttl.js';

/** A handle that can be re-pointed at another namespace. */
interface NamespacedHandle {
  setCurrentNamespace(namespace: StateNamespace): void;
}

/** Keyed state of the current key in a movable namespace. */
export class NamespacedStateStore implements KeyedStateStore {
  /** The namespace handles returned from now on read and write. */
  namespace: StateNamespace;
  private readonly handles = new Map<string, { descriptor: StateDescriptor<unknown>; state: NamespacedHandle }>();

  constructor(
    private readonly backend: KeyedStateBackend,
    /** Prefix of backend state names (keeps trigger state apart from user state). */
    private readonly prefix: string,
    private readonly operatorName: string,
    namespace: StateNamespace,
  ) {
    this.namespace = namespace;
  }

  private handle<S extends NamespacedHandle>(d: StateDescriptor<unknown>, create: (name: string, ttl: TtlPolicy | undefined) => S): S {
    let h = this.handles.get(d.name);
    if (!h) {
      const name = this.prefix + d.name;
      this.backend.registerState(name, d.kind);
      h = { descriptor: d, state: create(name, d.ttl ? new TtlPolicy(d.ttl, Date.now) : undefined) };
      this.handles.set(d.name, h);
    } else if (h.descriptor.kind !== d.kind) {
      throw new FailedPreconditionError(
        `${this.operatorName}: state "${d.name}" is already registered as ${h.descriptor.kind} state, cannot register it as ${d.kind} state`,
      );
    }
    h.state.setCurrentNamespace(this.namespace);
    return h.state as S;
  }

  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.handle(d, (name, ttl) => new KeyedValueState<T>(this.backend, name, ttl, d.defaultValue, d));
  }

  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.handle(d, (name, ttl) => new KeyedListState<T>(this.backend, name, ttl, d));
  }

  getMapState<UK, UV>(d: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.handle(d, (name, ttl) => new KeyedMapState<UK, UV>(this.backend, name, ttl, d));
  }

  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.handle(d, (name, ttl) => new KeyedReducingState<T>(this.backend, name, ttl, d.reduceFunction, d));
  }

  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.handle(d, (name, ttl) => new KeyedAggregatingState<IN, ACC, OUT>(this.backend, name, ttl, d.aggregateFunction, d));
  }

  /** Any state by descriptor kind (triggers ask with a plain descriptor). */
  getPartitionedState<S>(d: StateDescriptor<unknown>): S {
    switch (d.kind) {
      case 'value':
        return this.getState(d as ValueStateDescriptor<unknown>) as S;
      case 'list':
        return this.getListState(d as ListStateDescriptor<unknown>) as S;
      case 'map':
        return this.getMapState(d as MapStateDescriptor<unknown, unknown>) as S;
      case 'reducing':
        return this.getReducingState(d as ReducingStateDescriptor<unknown>) as S;
      case 'aggregating':
        return this.getAggregatingState(d as AggregatingStateDescriptor<unknown, unknown, unknown>) as S;
    }
  }

  /**
   * Folds the entries of state `d` in `sources` into `target` and removes them (Flink merges
   * list, reducing and aggregating state; other kinds cannot merge).
   */
  mergeNamespaces(d: StateDescriptor<unknown>, target: StateNamespace, sources: readonly StateNamespace[]): void {
    if (d.kind !== 'list' && d.kind !== 'reducing' && d.kind !== 'aggregating') {
      throw new FailedPreconditionError(`${this.operatorName}: ${d.kind} state "${d.name}" cannot be merged (only list, reducing and aggregating state)`);
    }
    if (d.ttl) throw new FailedPreconditionError(`${this.operatorName}: state "${d.name}" with a TTL cannot be merged`);
    this.getPartitionedState(d); // registers the state
    const name = this.prefix + d.name;
    let acc = this.backend.get(name, target);
    for (const s of sources) {
      const v = this.backend.get(name, s);
      this.backend.remove(name, s);
      if (v === undefined) continue;
      if (acc === undefined) acc = v;
      else if (d.kind === 'list') acc = (acc as unknown[]).concat(v as unknown[]);
      else if (d.kind === 'reducing') acc = callReduce((d as ReducingStateDescriptor<unknown>).reduceFunction, acc, v);
      else acc = (d as AggregatingStateDescriptor<unknown, unknown, unknown>).aggregateFunction.merge(acc, v);
    }
    if (acc !== undefined) this.backend.put(name, target, acc);
  }
}
