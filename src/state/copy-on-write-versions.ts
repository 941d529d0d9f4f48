/**
 * Versions of copy-on-write state (the memory backend's counterpart of the version counters of
 * Flink's `CopyOnWriteStateMap`). Every stored entry carries the version it was written at; a
 * snapshot is a version number: it sees, for each entry, the newest one at or below its version.
 * Taking a snapshot only bumps the counter (O(1)); while snapshots run, the first change of an
 * entry they share replaces it by a copy that keeps the shared one as its `origin`, so the
 * snapshots still find it. Entries replaced that way are listed; once no running snapshot needs
 * an origin any more (a snapshot finished or was released), the list drops the origins and
 * removes the entries that only stood for a removal.
 */

/** An entry of copy-on-write state: the version it was written at, and what it replaced. */
export interface Versioned<T> {
  version: number;
  /** The entry this one replaced while a running snapshot might still read it. */
  origin: T | undefined;
}

/** The entry of a chain (newest first) that a snapshot at `version` sees, or undefined. */
export function visibleAt<T extends Versioned<T>>(head: T | undefined, version: number): T | undefined {
  let e = head;
  while (e !== undefined && e.version > version) e = e.origin;
  return e;
}

/** Whether an entry only stands for a removal (a running snapshot still sees what it replaced). */
export type GoneCheck<T> = (entry: T) => boolean;

/** The version counter and running snapshots of one backend, with the entries replaced under them. */
export class SnapshotVersions {
  /** The version entries written now get; a snapshot taken now sees every version up to it. */
  current = 0;
  /**
   * The newest version a running snapshot sees, -1 when none runs: an entry at or below it is
   * shared with a snapshot and is copied before it changes. One comparison on the common path.
   */
  highest = -1;
  /** The oldest version a running snapshot sees (Infinity when none): entries at or below it need no origin. */
  private lowest = Infinity;
  private readonly running = new Set<number>();
  // The entries replaced while snapshots ran: parallel arrays, no allocation per entry.
  private replacedEntries: Versioned<unknown>[] = [];
  private replacedMaps: Map<unknown, unknown>[] = [];
  private replacedIds: unknown[] = [];
  private replacedGone: GoneCheck<never>[] = [];

  /** Fixes a snapshot point: the returned version sees everything written so far, nothing later. */
  begin(): number {
    const v = this.current++;
    this.running.add(v);
    this.highest = v;
    if (v < this.lowest) this.lowest = v;
    return v;
  }

  /** Whether the snapshot at `version` is still running (neither finished nor released). */
  isRunning(version: number): boolean {
    return this.running.has(version);
  }

  /** Number of running snapshots. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Number of replaced entries still kept for running snapshots. */
  get replacedCount(): number {
    return this.replacedEntries.length;
  }

  /** Ends the snapshot at `version` (idempotent); origins no running snapshot needs are dropped. */
  release(version: number): void {
    if (!this.running.delete(version)) return;
    let hi = -1;
    let lo = Infinity;
    for (const v of this.running) {
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
    this.highest = hi;
    const raised = lo > this.lowest;
    this.lowest = lo;
    if (raised) this.sweep();
  }

  /** Ends every running snapshot (the backend is disposed). */
  releaseAll(): void {
    for (const v of [...this.running]) this.release(v);
  }

  /**
   * Records that `entry` (which has an origin) now stands under `id` in `map`, so that its origin
   * is dropped, and the entry removed when `gone` says it only stands for a removal, once no
   * running snapshot needs it.
   */
  replaced<T extends Versioned<T>>(map: Map<unknown, T>, id: unknown, entry: T, gone: GoneCheck<T>): void {
    this.replacedEntries.push(entry);
    this.replacedMaps.push(map as Map<unknown, unknown>);
    this.replacedIds.push(id);
    this.replacedGone.push(gone as GoneCheck<never>);
  }

  /** Drops the origins every running snapshot can do without (all of them see the entry or a newer one). */
  private sweep(): void {
    const entries = this.replacedEntries;
    const lowest = this.lowest;
    let kept = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const map = this.replacedMaps[i]!;
      const id = this.replacedIds[i];
      const gone = this.replacedGone[i]!;
      if (e.version <= lowest) {
        e.origin = undefined;
        if (map.get(id) === e && (gone as GoneCheck<unknown>)(e)) map.delete(id);
        continue;
      }
      entries[kept] = e;
      this.replacedMaps[kept] = map;
      this.replacedIds[kept] = id;
      this.replacedGone[kept] = gone;
      kept++;
    }
    entries.length = kept;
    this.replacedMaps.length = kept;
    this.replacedIds.length = kept;
    this.replacedGone.length = kept;
  }
}
