/**
 * A Map that running snapshots read as it was at their snapshot point (the memory backend's
 * counterpart of Flink's `CopyOnWriteStateMap`), at the cost of one Map slot per entry: no
 * object per entry, no version per entry.
 *
 * While a snapshot that shares the map runs ({@link SnapshotVersions.highest} at or above the
 * map's creation), the first change of a key logs the value it had (or its absence) in the log
 * of the newest running snapshot, and a removal leaves the key in place, marked removed, so that
 * the Map's order stays as it was: a snapshot iterating the Map live meets every key once. A
 * snapshot at version `s` sees, for each key, the value in the oldest log at or above `s` that
 * holds the key, else the current value (the key has not changed since `s`). Logs go once no
 * running snapshot needs them, removed keys once none runs at all ({@link SnapshotVersions}).
 */
import type { SnapshotVersions, VersionedStore } from './copy-on-write-versions.js';

/** Marks a removed key kept in place for running snapshots. */
export const REMOVED: unique symbol = Symbol('removed');
/** A log's mark for a key that had no value at its snapshot point. */
const ABSENT: unique symbol = Symbol('absent');

type Logged<V> = V | typeof ABSENT;

/** One copy-on-write Map; `owner` holds it under `ownerKey` and loses it once it is empty and unshared. */
export class CopyOnWriteMap<K, V> implements VersionedStore {
  /** The entries, removed keys kept for snapshots included (their value is {@link REMOVED}). */
  readonly map = new Map<K, V | typeof REMOVED>();
  /** The version current when the map was made: snapshots older than it do not see the map. */
  readonly created: number;
  /** Entries with a value. */
  size = 0;
  /**
   * Per running snapshot that needed one, oldest first: values keys had at its point, for keys
   * changed since. Made on first use (a map per distinct timestamp of timers stays small).
   */
  private logs: { version: number; log: Map<K, Logged<V>> }[] | undefined = undefined;
  /** Keys marked removed, deleted for good once no snapshot runs. */
  private removed: K[] | undefined = undefined;

  constructor(
    private readonly versions: SnapshotVersions,
    private readonly owner?: Map<unknown, CopyOnWriteMap<K, V>>,
    private readonly ownerKey?: unknown,
  ) {
    this.created = versions.current;
  }

  /** Whether a running snapshot sees this map (changes must be logged). */
  private get shared(): boolean {
    return this.versions.highest >= this.created;
  }

  /** The value of `key`, or undefined. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    return v === REMOVED ? undefined : v;
  }

  /**
   * The value of `key` for a caller that may change it in place: a value a running snapshot
   * shares is replaced by `copy(value)` first (primitives are handed out as they are).
   */
  getOwn(key: K, copy: (value: V) => V): V | undefined {
    const v = this.map.get(key);
    if (v === undefined || v === REMOVED) return undefined;
    if (typeof v !== 'object' || v === null || !this.shared) return v;
    const last = this.logs?.[this.logs.length - 1];
    // Logged for the newest snapshot already: the value was written (or copied) after it.
    if (last !== undefined && last.version === this.versions.highest && last.log.has(key)) return v;
    const own = copy(v);
    this.log(key, v);
    this.map.set(key, own);
    return own;
  }

  set(key: K, value: V): void {
    const prev = this.map.get(key);
    if (this.shared) this.log(key, prev);
    if (prev === undefined || prev === REMOVED) this.size++;
    this.map.set(key, value);
  }

  /** Removes `key`; false when it had no value. */
  delete(key: K): boolean {
    const prev = this.map.get(key);
    if (prev === undefined || prev === REMOVED) return false;
    this.size--;
    if (this.shared) {
      this.log(key, prev);
      this.map.set(key, REMOVED);
      (this.removed ??= []).push(key);
    } else {
      this.map.delete(key);
      if (this.size === 0) this.dropFromOwner();
    }
    return true;
  }

  /** Logs `prev` (the current value of `key`) for the newest running snapshot unless logged already. */
  private log(key: K, prev: V | typeof REMOVED | undefined): void {
    const h = this.versions.highest;
    const last = this.logs?.[this.logs.length - 1];
    let log: Map<K, Logged<V>>;
    if (last !== undefined && last.version === h) {
      log = last.log;
      if (log.has(key)) return;
    } else {
      log = new Map();
      // Listed once until swept clean (a sweep while snapshots run leaves an empty list).
      if (this.logs === undefined) {
        this.logs = [];
        this.versions.keep(this);
      }
      this.logs.push({ version: h, log });
    }
    log.set(key, prev === undefined || prev === REMOVED ? ABSENT : prev);
  }

  /** Whether the snapshot at `version` sees this map at all. */
  visibleTo(version: number): boolean {
    return this.created <= version;
  }

  /**
   * The value the snapshot at `version` sees for `key`, whose current stored value is `current`
   * (as met iterating {@link map}); {@link REMOVED} when it saw none.
   */
  valueAt(key: K, current: V | typeof REMOVED, version: number): V | typeof REMOVED {
    const logs = this.logs;
    if (logs === undefined) return current;
    for (let i = 0; i < logs.length; i++) {
      const { version: at, log } = logs[i]!;
      if (at < version) continue;
      const v = log.get(key);
      if (v !== undefined || log.has(key)) return v === ABSENT ? REMOVED : (v as V);
    }
    return current;
  }

  /** Every entry with a value, live. */
  *entries(): IterableIterator<[K, V]> {
    for (const [k, v] of this.map) if (v !== REMOVED) yield [k, v];
  }

  sweep(lowest: number, idle: boolean): boolean {
    if (!idle) {
      // Still listed: removed keys stay until no snapshot runs.
      if (this.logs !== undefined) this.logs = this.logs.filter((l) => l.version >= lowest);
      return true;
    }
    this.logs = undefined;
    if (this.removed !== undefined) for (const k of this.removed) if (this.map.get(k) === REMOVED) this.map.delete(k);
    this.removed = undefined;
    if (this.size === 0) this.dropFromOwner();
    return false;
  }

  private dropFromOwner(): void {
    if (this.owner !== undefined && this.owner.get(this.ownerKey) === this) this.owner.delete(this.ownerKey);
  }
}
