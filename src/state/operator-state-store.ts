/**
 * Operator state (per subtask, not per key): named list states, either split among subtasks
 * on rescale (`getOperatorListState`) or given whole to every subtask (`getUnionListState`),
 * and broadcast state: a map every subtask holds identically, because every subtask applies
 * the same broadcast records (each subtask snapshots its copy; a restore may use any copy).
 * Kept in memory; snapshots copy the lists and maps.
 */
import type { BroadcastState } from '../common/co-functions.js';
import type { OperatorListStates } from '../common/checkpoint-hooks.js';
import type { ListState } from '../common/runtime-context.js';
import { FailedPreconditionError, InvalidArgumentError } from '../core/errors.js';
import { keyIdentity } from './keyed-state-backend.js';

/** How a state is redistributed on restore. */
export type OperatorStateMode = 'split' | 'union' | 'broadcast';

/** One operator list state. */
class OperatorListState<T> implements ListState<T> {
  items: T[] = [];

  constructor(readonly mode: OperatorStateMode) {}

  get(): Iterable<T> {
    return this.items;
  }

  add(value: T): void {
    if (value === undefined || value === null) throw new InvalidArgumentError(`operator ListState: cannot add ${String(value)}`);
    this.items.push(value);
  }

  addAll(values: Iterable<T>): void {
    for (const v of values) this.add(v);
  }

  update(values: Iterable<T>): void {
    this.items = [...values];
  }

  clear(): void {
    this.items = [];
  }
}

/** One broadcast map state; keys compare structurally (tuples and objects meet). */
class BroadcastMapState<K, V> implements BroadcastState<K, V> {
  readonly mode = 'broadcast' as const;
  readonly map = new Map<unknown, [K, V]>();

  get(key: K): V | undefined {
    return this.map.get(keyIdentity(key))?.[1];
  }

  contains(key: K): boolean {
    return this.map.has(keyIdentity(key));
  }

  entries(): Iterable<[K, V]> {
    // A copy, so callers may update the state while iterating.
    return [...this.map.values()].map(([k, v]): [K, V] => [k, v]);
  }

  keys(): Iterable<K> {
    return [...this.map.values()].map((e) => e[0]);
  }

  values(): Iterable<V> {
    return [...this.map.values()].map((e) => e[1]);
  }

  isEmpty(): boolean {
    return this.map.size === 0;
  }

  put(key: K, value: V): void {
    if (value === undefined) throw new InvalidArgumentError('BroadcastState: cannot put undefined (use remove())');
    this.map.set(keyIdentity(key), [key, value]);
  }

  putAll(entries: Iterable<[K, V]>): void {
    for (const [k, v] of entries) this.put(k, v);
  }

  remove(key: K): void {
    this.map.delete(keyIdentity(key));
  }

  clear(): void {
    this.map.clear();
  }
}

/** A snapshot of operator state: per name, its mode and items (`[key, value]` pairs for broadcast state). */
export type OperatorStateSnapshot = Record<string, { mode: OperatorStateMode; items: unknown[] }>;

/** The operator state of one operator in one subtask. */
export class OperatorStateStore implements OperatorListStates {
  private readonly states = new Map<string, OperatorListState<unknown> | BroadcastMapState<unknown, unknown>>();
  /** Restored items waiting for their state to be registered. */
  private restored: OperatorStateSnapshot = {};

  constructor(private readonly operatorName: string) {}

  /** The list state `name` in `mode`; throws when it exists in the other mode. */
  getListState<T>(name: string, mode: 'split' | 'union'): ListState<T> {
    const existing = this.states.get(name);
    if (existing) {
      if (existing.mode !== mode) throw this.conflict(name, existing.mode);
      return existing as OperatorListState<T>;
    }
    const state = new OperatorListState<unknown>(mode);
    const saved = this.restored[name];
    if (saved) state.items = [...saved.items];
    this.states.set(name, state);
    return state as OperatorListState<T>;
  }

  /** The broadcast state `name`; throws when `name` is a list state. */
  getBroadcastState<K, V>(name: string): BroadcastState<K, V> {
    const existing = this.states.get(name);
    if (existing) {
      if (existing.mode !== 'broadcast') throw this.conflict(name, existing.mode);
      return existing as BroadcastMapState<K, V>;
    }
    const state = new BroadcastMapState<unknown, unknown>();
    const saved = this.restored[name];
    if (saved) for (const [k, v] of saved.items as [unknown, unknown][]) state.put(k, v);
    this.states.set(name, state);
    return state as BroadcastMapState<K, V>;
  }

  private conflict(name: string, mode: OperatorStateMode): FailedPreconditionError {
    const what = mode === 'broadcast' ? 'broadcast state' : mode === 'union' ? 'union list state' : 'list state';
    return new FailedPreconditionError(`${this.operatorName}: operator state "${name}" is already registered as ${what}`);
  }

  /** Copies every state's items. */
  snapshot(): OperatorStateSnapshot {
    const out: OperatorStateSnapshot = {};
    for (const [name, s] of this.states) {
      out[name] = s instanceof BroadcastMapState ? { mode: s.mode, items: [...s.map.values()].map(([k, v]) => [k, v]) } : { mode: s.mode, items: [...s.items] };
    }
    return out;
  }

  /** Sets items to hand to states as they get registered (before `open`). */
  restore(snapshot: OperatorStateSnapshot): void {
    this.restored = snapshot;
  }
}
