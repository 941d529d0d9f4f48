/**
 * Keyed state in memory: per state name, one table per owned key group mapping keys to their
 * namespaces and values. Reads and writes are Map lookups; nothing is copied.
 */
import { FailedPreconditionError } from '../core/errors.js';
import { assignToKeyGroup, type KeyGroupRange } from '../graph/key-groups.js';
import {
  keyIdentity,
  type KeyedStateBackend,
  type KeyedStateEntry,
  type KeyedStateKind,
  type StateNamespace,
} from './keyed-state-backend.js';

/** Entries of one key in one state. */
interface KeyEntry {
  key: unknown;
  byNamespace: Map<StateNamespace, unknown>;
}

/** One state: a table of keys per key group (index = keyGroup - range.start). */
interface StateTable {
  kind: KeyedStateKind;
  groups: (Map<unknown, KeyEntry> | undefined)[];
}

/** Options of a {@link MemoryKeyedStateBackend}. */
export interface MemoryKeyedStateBackendOptions {
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  /** Named in errors. */
  operatorName: string;
}

/** The `memory` keyed state backend. */
export class MemoryKeyedStateBackend implements KeyedStateBackend {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  private readonly operatorName: string;
  private readonly tables = new Map<string, StateTable>();
  private currentKey: unknown = undefined;
  private currentKeyId: unknown = undefined;
  private currentKeyGroup = -1;
  /** Index of the current key group in the tables. */
  private currentSlot = -1;

  constructor(options: MemoryKeyedStateBackendOptions) {
    this.maxParallelism = options.maxParallelism;
    this.keyGroupRange = options.keyGroupRange;
    this.operatorName = options.operatorName;
  }

  setCurrentKey(key: unknown): void {
    this.setCurrentKeyAndKeyGroup(key, assignToKeyGroup(key, this.maxParallelism));
  }

  setCurrentKeyAndKeyGroup(key: unknown, keyGroup: number): void {
    if (keyGroup < this.keyGroupRange.start || keyGroup > this.keyGroupRange.end) {
      throw new FailedPreconditionError(
        `${this.operatorName}: key ${String(key)} belongs to key group ${keyGroup}, outside this subtask's range ` +
          `[${this.keyGroupRange.start}, ${this.keyGroupRange.end}] (was the stream partitioned with keyBy?)`,
      );
    }
    this.currentKey = key;
    this.currentKeyId = keyIdentity(key);
    this.currentKeyGroup = keyGroup;
    this.currentSlot = keyGroup - this.keyGroupRange.start;
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  getCurrentKeyGroup(): number {
    return this.currentKeyGroup;
  }

  registerState(name: string, kind: KeyedStateKind): void {
    const existing = this.tables.get(name);
    if (existing) {
      if (existing.kind !== kind) {
        throw new FailedPreconditionError(
          `${this.operatorName}: state "${name}" is already registered as ${existing.kind} state, cannot register it as ${kind} state`,
        );
      }
      return;
    }
    const size = this.keyGroupRange.end - this.keyGroupRange.start + 1;
    this.tables.set(name, { kind, groups: new Array(size).fill(undefined) });
  }

  private table(name: string): StateTable {
    const t = this.tables.get(name);
    if (!t) throw new FailedPreconditionError(`${this.operatorName}: state "${name}" is not registered`);
    return t;
  }

  private requireKey(): void {
    if (this.currentSlot < 0) throw new FailedPreconditionError(`${this.operatorName}: keyed state accessed without a current key`);
  }

  get(name: string, namespace: StateNamespace): unknown {
    this.requireKey();
    return this.table(name).groups[this.currentSlot]?.get(this.currentKeyId)?.byNamespace.get(namespace);
  }

  put(name: string, namespace: StateNamespace, value: unknown): void {
    this.requireKey();
    const groups = this.table(name).groups;
    let keys = groups[this.currentSlot];
    if (!keys) groups[this.currentSlot] = keys = new Map();
    let entry = keys.get(this.currentKeyId);
    if (!entry) keys.set(this.currentKeyId, (entry = { key: this.currentKey, byNamespace: new Map() }));
    entry.byNamespace.set(namespace, value);
  }

  remove(name: string, namespace: StateNamespace): void {
    this.requireKey();
    const keys = this.table(name).groups[this.currentSlot];
    const entry = keys?.get(this.currentKeyId);
    if (!entry) return;
    entry.byNamespace.delete(namespace);
    if (entry.byNamespace.size === 0) keys!.delete(this.currentKeyId);
  }

  *keys(name: string): Iterable<unknown> {
    const t = this.tables.get(name);
    if (!t) return;
    for (const keys of t.groups) {
      if (!keys) continue;
      for (const entry of [...keys.values()]) yield entry.key;
    }
  }

  *entriesOfKeyGroup(keyGroup: number): Iterable<KeyedStateEntry> {
    const slot = keyGroup - this.keyGroupRange.start;
    for (const [stateName, t] of this.tables) {
      const keys = t.groups[slot];
      if (!keys) continue;
      for (const entry of keys.values()) {
        for (const [namespace, value] of entry.byNamespace) yield { keyGroup, stateName, key: entry.key, namespace, value };
      }
    }
  }

  dispose(): void {
    this.tables.clear();
  }
}
