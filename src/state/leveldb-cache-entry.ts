/**
 * The entries of the LevelDB write-back cache: one per cached (key group, state, key, namespace),
 * linked into the cache's LRU list, with what the cache needs to know to write, evict and capture
 * it, and the cheap size estimate used until a value is serialised.
 */
import type { StateNamespace } from './keyed-state-backend.js';
import type { KeyTable } from './leveldb-key-table.js';

/** Approximate heap cost of one cached entry beyond its key and value (object, Map slot, list links). */
export const ENTRY_OVERHEAD = 200;

/** One registered state as the cache sees it. */
export interface CachedState {
  readonly id: number;
  /** Entries of the void namespace by key identity (the common case, one lookup). */
  readonly voidTable: KeyTable;
  /** Entries of other namespaces: namespace → key identity → entry. */
  readonly tables: Map<StateNamespace, KeyTable>;
}

/** A cached (key group, state, key, namespace) entry; `value` undefined means absent. */
export class CacheEntry {
  prev: CacheEntry = this;
  next: CacheEntry = this;
  dirty = false;
  /** False once evicted or invalidated: a holder of the entry must look it up again. */
  cached = true;
  /** Sequence number of the last batch the entry was written in (0: none). */
  batch = 0;
  size = 0;
  /**
   * False while neither LevelDB (as of the batches handed over) nor the last snapshot holds a
   * value for the key: a removal then needs no deletion record, and the entry turns clean instead
   * of carrying a tombstone into every checkpoint until the next write (expired windows of new keys).
   */
  stored = true;
  /** True while the entry has a slot in the dirty queue past its head (so it is queued once). */
  queued = false;
  /** The cache's snapshot epoch when the value last changed (incremental checkpoints' deltas). */
  changed = 0;
  /** The latest capture's epoch when this entry was last serialised into the open captures (see leveldb-changed-entries.ts). */
  saved = 0;
  /** True while in the cache's admission window (a new key not used again yet), else in its main list. */
  inWindow = false;
  /**
   * Used since the main list's eviction last passed it: an access sets it instead of moving the
   * entry to the list's front, and eviction gives such an entry a second chance (CLOCK).
   */
  referenced = false;

  constructor(
    readonly state: CachedState,
    readonly table: KeyTable,
    readonly keyId: unknown,
    readonly key: unknown,
    readonly keyGroup: number,
    readonly namespace: StateNamespace,
    public value: unknown,
    public keyBytes: number,
  ) {}
}

/** A cheap O(1) guess of a value's heap size, until serialisation measures it. */
export function roughSize(v: unknown): number {
  switch (typeof v) {
    case 'undefined':
      return 0;
    case 'number':
    case 'boolean':
      return 16;
    case 'string':
      return 16 + v.length;
    case 'object':
      if (v === null) return 8;
      if (Array.isArray(v)) return 32 + v.length * 24;
      if (v instanceof Map) return 64 + v.size * 96;
      return 96;
    default:
      return 32;
  }
}
