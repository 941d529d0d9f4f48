/**
 * The identity index of timers held in memory: key, then (namespace, timestamp). Dedupe and
 * deletion look a timer up without building a string per call: keyed by the key's identity,
 * then a short per-key list, or a (namespace, timestamp) map once a key holds many timers.
 */
import type { StateNamespace } from '../state/keyed-state-backend.js';
import type { Timer } from './timer-heap.js';

/** Per-key timers past this many are indexed by a (namespace, timestamp) map instead of a list. */
const LIST_LIMIT = 8;

/** The timers of one key: a short list, or a map by namespace then timestamp once it grows. */
type KeyTimers = Timer[] | Map<StateNamespace, Map<number, Timer>>;

/** Timers by identity: (key identity, namespace, timestamp). */
export class TimerIndex {
  private readonly byKey = new Map<unknown, KeyTimers>();
  /** Timers held. */
  size = 0;

  /** The timer of (`keyId`, `namespace`, `timestamp`), or undefined. */
  find(keyId: unknown, namespace: StateNamespace, timestamp: number): Timer | undefined {
    const perKey = this.byKey.get(keyId);
    if (perKey === undefined) return undefined;
    if (Array.isArray(perKey)) {
      const i = indexInList(perKey, namespace, timestamp);
      return i < 0 ? undefined : perKey[i];
    }
    return perKey.get(namespace)?.get(timestamp);
  }

  /** Adds `timer` (the caller checked it is absent) under `keyId`. */
  add(keyId: unknown, timer: Timer): void {
    const perKey = this.byKey.get(keyId);
    if (perKey === undefined) this.byKey.set(keyId, [timer]);
    else if (Array.isArray(perKey) && perKey.length < LIST_LIMIT) perKey.push(timer);
    else this.byKey.set(keyId, addToMap(perKey, timer));
    this.size++;
  }

  /** Removes and returns the timer of (`keyId`, `namespace`, `timestamp`), or undefined when absent. */
  remove(keyId: unknown, namespace: StateNamespace, timestamp: number): Timer | undefined {
    const perKey = this.byKey.get(keyId);
    if (perKey === undefined) return undefined;
    let t: Timer | undefined;
    if (Array.isArray(perKey)) {
      const i = indexInList(perKey, namespace, timestamp);
      if (i < 0) return undefined;
      t = perKey[i]!;
      // Order within a key's list does not matter: swap-remove.
      perKey[i] = perKey[perKey.length - 1]!;
      perKey.pop();
      if (perKey.length === 0) this.byKey.delete(keyId);
    } else {
      const byTs = perKey.get(namespace);
      t = byTs?.get(timestamp);
      if (t === undefined) return undefined;
      byTs!.delete(timestamp);
      if (byTs!.size === 0) perKey.delete(namespace);
      if (perKey.size === 0) this.byKey.delete(keyId);
    }
    this.size--;
    return t;
  }

  /** Removes every timer. */
  clear(): void {
    this.byKey.clear();
    this.size = 0;
  }
}

function indexInList(list: Timer[], namespace: StateNamespace, timestamp: number): number {
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (t.timestamp === timestamp && t.namespace === namespace) return i;
  }
  return -1;
}

/** Adds `timer` to a key's map, converting a full list into one first. */
function addToMap(perKey: KeyTimers, timer: Timer): Map<StateNamespace, Map<number, Timer>> {
  let map: Map<StateNamespace, Map<number, Timer>>;
  if (Array.isArray(perKey)) {
    map = new Map();
    for (const t of perKey) putInMap(map, t);
  } else {
    map = perKey;
  }
  putInMap(map, timer);
  return map;
}

function putInMap(map: Map<StateNamespace, Map<number, Timer>>, t: Timer): void {
  let byTs = map.get(t.namespace);
  if (!byTs) map.set(t.namespace, (byTs = new Map()));
  byTs.set(t.timestamp, t);
}
