/**
 * One keyed state of the memory backend (Flink's `CopyOnWriteStateTable`): per key group slot,
 * per namespace, a {@link CopyOnWriteMap} from key identity to value. An entry costs one Map
 * slot: a window's state is one Map per key group and window, a state without namespace one Map
 * per key group. Reads and writes are three Map lookups; copy-on-write adds one comparison while
 * no snapshot runs.
 *
 * Keys that are strings, numbers, booleans, null or undefined are their own identity; any other
 * key (a tuple, an object) is stored with its value ({@link KeyedValue}) so that snapshots and
 * key iteration hand out the key itself. A read of a mutable value a running snapshot shares
 * hands out a deep copy, which takes the value's place (writers change values in place before
 * `put`, as ListState.add pushes onto the stored array).
 */
import type { KeyedStateKind, StateNamespace } from './keyed-state-backend.js';
import type { SnapshotVersions } from './copy-on-write-versions.js';
import { CopyOnWriteMap } from './copy-on-write-map.js';
import { cloneStateValue } from './typed-values.js';

/** The stored form of a value whose key is not its own identity. */
export class KeyedValue {
  constructor(
    readonly key: unknown,
    readonly value: unknown,
  ) {}
}

/** A copy of a stored value that its reader may change in place. */
function copyStored(v: unknown): unknown {
  return v instanceof KeyedValue ? new KeyedValue(v.key, cloneStateValue(v.value)) : cloneStateValue(v);
}

/** The key of a stored entry under `keyId`. */
export function storedKey(keyId: unknown, stored: unknown): unknown {
  return stored instanceof KeyedValue ? stored.key : keyId;
}

/** The value of a stored entry. */
export function storedValue(stored: unknown): unknown {
  return stored instanceof KeyedValue ? stored.value : stored;
}

/** Values of one key group slot: per namespace, key identity → stored value. */
export type NamespaceMaps = Map<StateNamespace, CopyOnWriteMap<unknown, unknown>>;

/** One keyed state: per key group slot (index = keyGroup - range start), its namespaces' maps. */
export class CopyOnWriteStateTable {
  /** Undefined while known only from a restored snapshot, until the operator registers it. */
  kind: KeyedStateKind | undefined;
  readonly groups: (NamespaceMaps | undefined)[];

  constructor(
    kind: KeyedStateKind | undefined,
    slots: number,
    private readonly versions: SnapshotVersions,
  ) {
    this.kind = kind;
    this.groups = new Array<NamespaceMaps | undefined>(slots).fill(undefined);
  }

  /** The value of (key, namespace); a mutable value shared with a running snapshot is copied first. */
  get(slot: number, keyId: unknown, namespace: StateNamespace): unknown {
    const m = this.groups[slot]?.get(namespace);
    if (m === undefined) return undefined;
    return storedValue(m.getOwn(keyId, copyStored));
  }

  /** Stores `value` for (key, namespace). */
  put(slot: number, keyId: unknown, key: unknown, namespace: StateNamespace, value: unknown): void {
    let maps = this.groups[slot];
    if (maps === undefined) this.groups[slot] = maps = new Map();
    let m = maps.get(namespace);
    if (m === undefined) maps.set(namespace, (m = new CopyOnWriteMap(this.versions, maps as Map<unknown, CopyOnWriteMap<unknown, unknown>>, namespace)));
    // NaN is no identity of itself: such keys are stored with their value, as objects are.
    m.set(keyId, keyId === key ? value : new KeyedValue(key, value));
  }

  /** Removes the value of (key, namespace) (no-op when absent). */
  remove(slot: number, keyId: unknown, namespace: StateNamespace): void {
    this.groups[slot]?.get(namespace)?.delete(keyId);
  }

  /** Every key with a value, live (each once). */
  *liveKeys(): Iterable<unknown> {
    for (const maps of this.groups) {
      if (maps === undefined) continue;
      // A key may have values in several namespaces: met once.
      const seen = maps.size > 1 ? new Set<unknown>() : undefined;
      for (const m of maps.values()) {
        for (const [keyId, v] of m.entries()) {
          if (seen !== undefined) {
            if (seen.has(keyId)) continue;
            seen.add(keyId);
          }
          yield storedKey(keyId, v);
        }
      }
    }
  }

  /** Stored entries (removed keys kept for snapshots included): for tests of the bookkeeping. */
  storedCount(): number {
    let n = 0;
    for (const maps of this.groups) if (maps) for (const m of maps.values()) n += m.map.size;
    return n;
  }
}
