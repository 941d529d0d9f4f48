/**
 * Versions of copy-on-write state (the memory backend's counterpart of the version counters of
 * Flink's `CopyOnWriteStateMap`). A snapshot is a version number: it sees every write made up to
 * it and nothing later. Taking one only bumps the counter (O(1)). While snapshots run, the maps
 * that hold state ({@link CopyOnWriteMap}) log the value a key had before its first change, and
 * keep removed keys in place, so that the running snapshots still read what they saw. The maps
 * that logged something are listed here; once no running snapshot needs a log any more, they
 * drop it, and once none runs at all, they drop the removed keys too.
 */

/** What {@link SnapshotVersions} asks of a map that logged changes for running snapshots. */
export interface VersionedStore {
  /**
   * Drops the logs no running snapshot needs (every running snapshot is newer than `lowest`);
   * `idle`: none runs, removed keys go too. Returns whether anything is still kept.
   */
  sweep(lowest: number, idle: boolean): boolean;
}

/** The version counter and running snapshots of one backend, with the maps that keep logs for them. */
export class SnapshotVersions {
  /** The version entries written now get; a snapshot taken now sees every version up to it. */
  current = 0;
  /**
   * The newest version a running snapshot sees, -1 when none runs: a map created at or below it
   * is shared with a snapshot and logs before it changes. One comparison on the common path.
   */
  highest = -1;
  /** The oldest version a running snapshot sees (Infinity when none). */
  private lowest = Infinity;
  private readonly running = new Set<number>();
  /** Maps holding logs or removed keys for running snapshots. */
  private kept: VersionedStore[] = [];

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

  /** Number of maps still keeping logs or removed keys for running snapshots. */
  get keptCount(): number {
    return this.kept.length;
  }

  /** Ends the snapshot at `version` (idempotent); what no running snapshot needs is dropped. */
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

  /** Lists a map that started keeping a log or a removed key (once until it is swept clean). */
  keep(store: VersionedStore): void {
    this.kept.push(store);
  }

  private sweep(): void {
    const idle = this.running.size === 0;
    let n = 0;
    for (const s of this.kept) if (s.sweep(this.lowest, idle)) this.kept[n++] = s;
    this.kept.length = n;
  }
}
