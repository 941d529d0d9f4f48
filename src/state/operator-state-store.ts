/**
 * Operator state (per subtask, not per key): named list states, either split among subtasks
 * on rescale (`getOperatorListState`) or given whole to every subtask (`getUnionListState`).
 * Kept in memory; snapshots copy the lists.
 */
import type { ListState } from '../api/runtime-context.js';
import { FailedPreconditionError } from '../core/errors.js';

/** How a list state is redistributed on restore. */
export type OperatorStateMode = 'split' | 'union';

/** One operator list state. */
class OperatorListState<T> implements ListState<T> {
  items: T[] = [];

  constructor(readonly mode: OperatorStateMode) {}

  get(): Iterable<T> {
    return this.items;
  }

  add(value: T): void {
    if (value === undefined || value === null) throw new TypeError(`operator ListState: cannot add ${String(value)}`);
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

/** A snapshot of operator state: per name, its mode and items. */
export type OperatorStateSnapshot = Record<string, { mode: OperatorStateMode; items: unknown[] }>;

/** The operator state of one operator in one subtask. */
export class OperatorStateStore {
  private readonly states = new Map<string, OperatorListState<unknown>>();
  /** Restored items waiting for their state to be registered. */
  private restored: OperatorStateSnapshot = {};

  constructor(private readonly operatorName: string) {}

  /** The list state `name` in `mode`; throws when it exists in the other mode. */
  getListState<T>(name: string, mode: OperatorStateMode): ListState<T> {
    const existing = this.states.get(name);
    if (existing) {
      if (existing.mode !== mode) {
        throw new FailedPreconditionError(
          `${this.operatorName}: operator state "${name}" is already registered as ${existing.mode === 'union' ? 'union ' : ''}list state`,
        );
      }
      return existing as OperatorListState<T>;
    }
    const state = new OperatorListState<unknown>(mode);
    const saved = this.restored[name];
    if (saved) state.items = [...saved.items];
    this.states.set(name, state);
    return state as OperatorListState<T>;
  }

  /** Copies every state's items. */
  snapshot(): OperatorStateSnapshot {
    const out: OperatorStateSnapshot = {};
    for (const [name, s] of this.states) out[name] = { mode: s.mode, items: [...s.items] };
    return out;
  }

  /** Sets items to hand to states as they get registered (before `open`). */
  restore(snapshot: OperatorStateSnapshot): void {
    this.restored = snapshot;
  }
}
