/**
 * One keyed state of the memory backend as a copy-on-write table (Flink's `CopyOnWriteStateTable`
 * and `CopyOnWriteStateMap`): per key group, a Map from key to the key's entry, which holds the
 * values per namespace. Reads and writes are Map lookups plus one version comparison.
 *
 * While a snapshot runs ({@link SnapshotVersions}), an entry it shares is never changed: the first
 * write, removal or read of a mutable value replaces it in the Map by a copy (its namespace Map
 * copied, the values shared) whose `origin` is the shared entry; a read hands out a deep copy of a
 * mutable value still shared with an origin (writers change values in place before `put`, as
 * ListState.add pushes onto the stored array). A key whose last value is removed stays in the Map,
 * empty, while a snapshot still sees an older entry, so that each key keeps its place in the Map's
 * order and a snapshot iterating it meets every key once.
 */
import type { KeyedStateKind, StateNamespace } from './keyed-state-backend.js';
import type { SnapshotVersions, Versioned } from './copy-on-write-versions.js';
import { cloneStateValue } from './typed-values.js';

/** Entries of one key in one state, at one version. */
export interface KeyEntry extends Versioned<KeyEntry> {
  key: unknown;
  byNamespace: Map<StateNamespace, unknown>;
}

/** A key entry with no value left (a removal kept for a running snapshot). */
const keyEntryGone = (e: KeyEntry): boolean => e.byNamespace.size === 0;

/** One keyed state: a table of keys per key group slot (index = keyGroup - range start). */
export class CopyOnWriteStateTable {
  /** Undefined while known only from a restored snapshot, until the operator registers it. */
  kind: KeyedStateKind | undefined;
  readonly groups: (Map<unknown, KeyEntry> | undefined)[];

  constructor(
    kind: KeyedStateKind | undefined,
    slots: number,
    private readonly versions: SnapshotVersions,
  ) {
    this.kind = kind;
    this.groups = new Array<Map<unknown, KeyEntry> | undefined>(slots).fill(undefined);
  }

  /** The value of (key, namespace); a mutable value shared with a running snapshot is copied first. */
  get(slot: number, keyId: unknown, namespace: StateNamespace): unknown {
    const keys = this.groups[slot];
    if (keys === undefined) return undefined;
    const e = keys.get(keyId);
    if (e === undefined) return undefined;
    const v = e.byNamespace.get(namespace);
    if (typeof v !== 'object' || v === null) return v;
    if (e.version > this.versions.highest && (e.origin === undefined || e.origin.byNamespace.get(namespace) !== v)) return v;
    // Shared with a snapshot: the caller may change it in place, so this key gets its own copy.
    const copy = cloneStateValue(v);
    this.writable(keys, keyId, e).byNamespace.set(namespace, copy);
    return copy;
  }

  /** Stores `value` for (key, namespace); a shared entry is replaced by its copy first. */
  put(slot: number, keyId: unknown, key: unknown, namespace: StateNamespace, value: unknown): void {
    let keys = this.groups[slot];
    if (keys === undefined) this.groups[slot] = keys = new Map();
    const e = keys.get(keyId);
    if (e !== undefined) {
      this.writable(keys, keyId, e).byNamespace.set(namespace, value);
      return;
    }
    const byNamespace = new Map<StateNamespace, unknown>();
    byNamespace.set(namespace, value);
    keys.set(keyId, { key, byNamespace, version: this.versions.current, origin: undefined });
  }

  /** Removes the value of (key, namespace) (no-op when absent). */
  remove(slot: number, keyId: unknown, namespace: StateNamespace): void {
    const keys = this.groups[slot];
    const e = keys?.get(keyId);
    if (e === undefined) return;
    if (e.version > this.versions.highest && e.origin === undefined) {
      e.byNamespace.delete(namespace);
      if (e.byNamespace.size === 0) keys!.delete(keyId);
      return;
    }
    // A snapshot still sees this entry or its origin: an emptied entry stays until it is swept.
    if (e.byNamespace.has(namespace)) this.writable(keys!, keyId, e).byNamespace.delete(namespace);
  }

  /** `e` itself when no running snapshot shares it, else its copy, which takes its place. */
  private writable(keys: Map<unknown, KeyEntry>, keyId: unknown, e: KeyEntry): KeyEntry {
    if (e.version > this.versions.highest) return e;
    const own: KeyEntry = { key: e.key, byNamespace: new Map(e.byNamespace), version: this.versions.current, origin: e };
    keys.set(keyId, own);
    this.versions.replaced(keys, keyId, own, keyEntryGone);
    return own;
  }

  /** Every key with a value, live (each once). */
  *liveKeys(): Iterable<unknown> {
    for (const keys of this.groups) if (keys) for (const e of keys.values()) if (e.byNamespace.size > 0) yield e.key;
  }
}
