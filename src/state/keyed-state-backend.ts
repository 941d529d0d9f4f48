/**
 * The keyed state backend: where keyed state entries live. An entry is addressed by
 * (key group, state name, key, namespace); the operator sets the current key once per record
 * (which computes its key group once) and state handles then read and write entries of that
 * key. Kept to plain get/put/remove of whole values plus key-group iteration so that a LevelDB
 * implementation with a write-back cache can sit behind the same interface.
 */
import type { KeyGroupRange } from '../graph/key-groups.js';

/** The namespace of state that is not scoped to a window (Flink's VoidNamespace). */
export const VOID_NAMESPACE = '';

/** A namespace: `VOID_NAMESPACE`, or e.g. a window encoded as a string or number. */
export type StateNamespace = string | number;

/** Kinds of keyed state. */
export type KeyedStateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** One stored entry, as seen by key-group iteration (snapshots, rescaling). */
export interface KeyedStateEntry {
  keyGroup: number;
  stateName: string;
  key: unknown;
  namespace: StateNamespace;
  value: unknown;
}

/** Keyed state storage of one operator in one subtask. */
export interface KeyedStateBackend {
  readonly maxParallelism: number;
  /** The key groups this subtask owns. */
  readonly keyGroupRange: KeyGroupRange;
  /** Sets the key later reads and writes apply to; computes its key group. */
  setCurrentKey(key: unknown): void;
  /** Sets the current key when its key group is already known (timers, restore). */
  setCurrentKeyAndKeyGroup(key: unknown, keyGroup: number): void;
  getCurrentKey(): unknown;
  getCurrentKeyGroup(): number;
  /** Declares a state; throws when `name` exists with another kind. */
  registerState(name: string, kind: KeyedStateKind): void;
  /** The value stored for (current key, `name`, `namespace`), or undefined. */
  get(name: string, namespace: StateNamespace): unknown;
  put(name: string, namespace: StateNamespace, value: unknown): void;
  remove(name: string, namespace: StateNamespace): void;
  /** Every key that has an entry of state `name` (in this subtask). */
  keys(name: string): Iterable<unknown>;
  /** Every entry of one key group, in no particular order. */
  entriesOfKeyGroup(keyGroup: number): Iterable<KeyedStateEntry>;
  /** Frees everything. */
  dispose(): void | Promise<void>;
}

/**
 * A Map key standing for a user key: strings and numbers as they are (distinct in a Map),
 * anything else as tagged JSON so that structurally equal keys (tuples, objects) meet.
 */
export function keyIdentity(key: unknown): unknown {
  const t = typeof key;
  if (t === 'string' || t === 'number' || t === 'boolean' || key === undefined || key === null) return key;
  if (t === 'bigint') return `\u0000n${String(key)}`;
  return `\u0000j${JSON.stringify(key)}`;
}
