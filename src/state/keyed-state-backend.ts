/**
 * The keyed state backend: where keyed state entries and timers live. An entry is addressed by
 * (key group, state name, key, namespace); the operator sets the current key once per record
 * (which computes its key group once) and state handles then read and write entries of that
 * key synchronously. Reads and writes are plain get/put/remove of whole values: a backend may
 * hand out the stored JS object and keep it cached, so writers put the (possibly mutated)
 * object back to mark it changed.
 *
 * Iteration (keys, key groups, timers, snapshots) is asynchronous: the LevelDB backend serves
 * it from range scans, and LevelDB iterators are asynchronous. Snapshots and restore use one
 * canonical, backend-independent form ({@link KeyedStateEntry}), so a snapshot of one backend
 * restores into the other.
 */
import type { TypeRegistry } from '../core/type-registry.js';
import type { KeyGroupRange } from './key-groups.js';
import { canonicalKeyString } from './key-codec.js';
import type { OrderedTimerStore } from './ordered-timer-store.js';
import type { HeapTimerQueue } from './heap-timer-queue.js';

/** The namespace of state that is not scoped to a window (Flink's VoidNamespace). */
export const VOID_NAMESPACE = '';

/** A namespace: `VOID_NAMESPACE`, or e.g. a window encoded as a string or number. */
export type StateNamespace = string | number;

/** Kinds of keyed state. */
export type KeyedStateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** Time domains of timers. */
export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

/**
 * State names under which timers appear in key-group iteration and snapshots: one entry per
 * timer, its `value` is the timestamp. User state names starting with `_timers_` are refused.
 */
export const TIMER_STATE_NAMES: Readonly<Record<TimeDomain, string>> = {
  EVENT_TIME: '_timers_event_time',
  PROCESSING_TIME: '_timers_processing_time',
};

/** The domain of a timer state name, or undefined for a user state. */
export function timerDomainOfStateName(name: string): TimeDomain | undefined {
  if (name === TIMER_STATE_NAMES.EVENT_TIME) return 'EVENT_TIME';
  if (name === TIMER_STATE_NAMES.PROCESSING_TIME) return 'PROCESSING_TIME';
  return undefined;
}

/** One stored entry in canonical form (key-group iteration, snapshots, restore, rescaling). */
export interface KeyedStateEntry {
  keyGroup: number;
  stateName: string;
  key: unknown;
  namespace: StateNamespace;
  /** The stored value (TTL-wrapped when the state has TTL); a timer's timestamp for timers. */
  value: unknown;
}

/** One timer: at most one per (domain, key, namespace, timestamp). */
export interface TimerEntry {
  domain: TimeDomain;
  timestamp: number;
  key: unknown;
  keyGroup: number;
  namespace: StateNamespace;
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
  /** Unsets the current key: keyed state accessed until the next key is set fails (broadcast side). */
  clearCurrentKey(): void;
  getCurrentKey(): unknown;
  getCurrentKeyGroup(): number;
  /** Declares a state; throws (naming the operator) when `name` exists with another kind. */
  registerState(name: string, kind: KeyedStateKind): void;
  /** The classes stored values come back as: the job's registered types plus those descriptors name. */
  readonly types: TypeRegistry;
  /**
   * Adds classes a state descriptor names (throws when another class holds a name); values
   * restored before their class was named are resolved now.
   */
  registerTypes(classes: readonly object[]): void;
  /** The value stored for (current key, `name`, `namespace`), or undefined. */
  get(name: string, namespace: StateNamespace): unknown;
  put(name: string, namespace: StateNamespace, value: unknown): void;
  remove(name: string, namespace: StateNamespace): void;
  /**
   * Stores a timer (idempotent). Synchronous; the timer service keeps the ordered head of its
   * queue in memory. `maybeStored`: the backend may hold the timer already; without it the
   * timer service knows the backend does not (the LevelDB cache relies on it to cancel a put
   * deleted before it was written, see leveldb-pending-timer-writes.ts).
   */
  putTimer(timer: TimerEntry, maybeStored?: boolean): void;
  /** Removes a timer (no-op when absent). */
  deleteTimer(timer: TimerEntry): void;
  /** Every stored timer of this subtask, in no particular order (restore of the timer index). */
  timers(): AsyncIterable<TimerEntry>;
  /**
   * Present when the backend stores timers durably and scans them in time order (LevelDB): the
   * timer service then keeps only the head of each queue in memory (ordered-timer-store.ts).
   */
  scanTimers?: OrderedTimerStore['scanTimers'];
  /**
   * Present when the backend holds timers in memory in a queue snapshots read (the memory
   * backend): the timer service fires from that queue instead of keeping timers of its own.
   */
  timerQueue?(domain: TimeDomain): HeapTimerQueue;
  /** Every key that has an entry of state `name` in this subtask (each key once). */
  keys(name: string): AsyncIterable<unknown>;
  /** Every entry (states and timers) of one key group, in no particular order. */
  entriesOfKeyGroup(keyGroup: number): AsyncIterable<KeyedStateEntry>;
  /** Makes every write so far durable in the backend's store (checkpoints call it first). */
  flush(): Promise<void>;
  /**
   * A consistent snapshot of the key groups in `range` (default: all owned), states and timers,
   * in canonical form. Resolves once the snapshot is fixed: writes after that are not in it,
   * and the returned iterable may be consumed asynchronously while processing goes on.
   */
  snapshotKeyGroups(range?: KeyGroupRange): Promise<AsyncIterable<KeyedStateEntry>>;
  /**
   * Loads entries of a snapshot (any backend's) before processing starts; entries of key groups
   * outside this subtask's range are skipped. Timer entries become timers.
   */
  restore(entries: Iterable<KeyedStateEntry> | AsyncIterable<KeyedStateEntry>): Promise<void>;
  /** Frees everything (the LevelDB backend removes its database). */
  dispose(): Promise<void>;
}

/**
 * A Map key standing for a user key: strings and numbers as they are (distinct in a Map),
 * anything else as its canonical bytes, so that structurally equal keys (tuples, objects with
 * properties in any order) meet.
 */
export function keyIdentity(key: unknown): unknown {
  const t = typeof key;
  if (t === 'string' || t === 'number' || t === 'boolean' || key === undefined || key === null) return key;
  return `\u0000k${canonicalKeyString(key)}`;
}

/** Rejects user state names reserved for timers. */
export function isReservedStateName(name: string): boolean {
  return name.startsWith('_timers_');
}
