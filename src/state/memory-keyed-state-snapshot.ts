/**
 * A snapshot of the memory backend (Flink's `CopyOnWriteStateMapSnapshot`): taking it fixes a
 * version ({@link SnapshotVersions.begin}), nothing else; its entries are read when it is
 * consumed, in event-loop slices so that the task keeps processing records meanwhile. For each
 * key it emits the entry the snapshot version sees; copy-on-write keeps those unchanged while the
 * snapshot runs. The values handed out are the stored objects themselves (their classes kept):
 * the task never changes an object a running snapshot shares.
 *
 * A snapshot ends when consumed to the end, when its consumer stops early, when released
 * ({@link releaseSnapshotEntries}, an aborted checkpoint) or, as a last resort, when it is
 * garbage-collected unconsumed: a running snapshot makes the task copy what it shares.
 */
import type { KeyGroupRange } from './key-groups.js';
import { TIMER_STATE_NAMES, type KeyedStateEntry } from './keyed-state-backend.js';
import { storedKey, storedValue, type CopyOnWriteStateTable } from './copy-on-write-state-table.js';
import type { SnapshotVersions } from './copy-on-write-versions.js';
import { REMOVED } from './copy-on-write-map.js';
import type { HeapTimerQueue } from './heap-timer-queue.js';
import { assignToKeyGroup } from './key-groups.js';
import type { BatchedEntries } from './entry-batches.js';
import { EventLoopSlices, ITEMS_PER_CLOCK_LOOK } from './event-loop-slices.js';
import { StateBackendError } from './state-errors.js';

/** Ends a snapshot nobody holds any more (never consumed, never released). */
const abandoned = new FinalizationRegistry<{ versions: SnapshotVersions; version: number }>(({ versions, version }) => versions.release(version));

/** What a memory snapshot reads: the backend's tables, timers and versions. */
export interface MemoryStateSource {
  readonly tables: ReadonlyMap<string, CopyOnWriteStateTable>;
  /** Timers per domain. */
  readonly timers: readonly HeapTimerQueue[];
  readonly maxParallelism: number;
  readonly versions: SnapshotVersions;
  /** The backend's key group range (slot = key group - start). */
  readonly keyGroupRange: KeyGroupRange;
}

/** Canonical snapshot entries that can be released unconsumed. */
export interface ReleasableEntries extends AsyncIterable<KeyedStateEntry> {
  /** Ends the snapshot (idempotent): consuming it afterwards fails. */
  release(): void;
}

/** Releases `entries` when they are a releasable snapshot (no-op otherwise). */
export function releaseSnapshotEntries(entries: AsyncIterable<KeyedStateEntry>): void {
  const r = entries as Partial<ReleasableEntries>;
  if (typeof r.release === 'function') r.release();
}

/** Entries in one batch at most (a batch also ends with each time slice). */
const BATCH = 4096;

/** The entries of key groups [from, to] of a memory backend at one version, read lazily, once. */
export class MemoryKeyedStateSnapshot implements ReleasableEntries, BatchedEntries {
  /** The snapshot point. */
  readonly version: number;
  private consumed = false;

  constructor(
    private readonly source: MemoryStateSource,
    private readonly range: KeyGroupRange,
  ) {
    this.version = source.versions.begin();
    abandoned.register(this, { versions: source.versions, version: this.version }, this);
  }

  release(): void {
    abandoned.unregister(this);
    this.source.versions.release(this.version);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KeyedStateEntry> {
    const versions = this.source.versions;
    for await (const batch of this.batches()) {
      for (const e of batch) {
        // Released while a batch was being read: its values are no longer kept as they were.
        this.checkRunning(versions);
        yield e;
      }
    }
  }

  async *batches(): AsyncGenerator<KeyedStateEntry[]> {
    if (this.consumed) throw new StateBackendError('a memory state snapshot can be read only once');
    this.consumed = true;
    try {
      yield* this.entries();
    } finally {
      this.release();
    }
  }

  /** The entries in batches: one ends when full or when the slice is used up (the task runs between slices). */
  private async *entries(): AsyncGenerator<KeyedStateEntry[]> {
    const { tables, timers, versions, keyGroupRange, maxParallelism } = this.source;
    const version = this.version;
    const slices = new EventLoopSlices();
    let n = 0;
    const lo = Math.max(this.range.start, keyGroupRange.start);
    const hi = Math.min(this.range.end, keyGroupRange.end);
    this.checkRunning(versions);
    let batch: KeyedStateEntry[] = [];
    // Live Map iteration throughout: entries added later are visited but seen as absent, and a
    // removal a snapshot still sees keeps its key in place (copy-on-write-map.ts).
    for (let keyGroup = lo; keyGroup <= hi; keyGroup++) {
      const slot = keyGroup - keyGroupRange.start;
      for (const [stateName, t] of tables) {
        const maps = t.groups[slot];
        if (!maps) continue;
        for (const [namespace, m] of maps) {
          if (!m.visibleTo(version)) continue;
          for (const [keyId, current] of m.map) {
            if (++n % ITEMS_PER_CLOCK_LOOK === 0 && (slices.due || batch.length >= BATCH)) {
              // Handed over before the turn: the consumer writes it while the task runs.
              if (batch.length > 0) yield batch;
              batch = [];
              await slices.maybeNext();
              this.checkRunning(versions);
            }
            const stored = m.valueAt(keyId, current, version);
            if (stored === REMOVED) continue;
            batch.push({ keyGroup, stateName, key: storedKey(keyId, stored), namespace, value: storedValue(stored) });
          }
        }
      }
    }
    for (const queue of timers) {
      const stateName = TIMER_STATE_NAMES[queue.domain];
      for (const [timestamp, b] of queue.buckets) {
        if (!b.visibleTo(version)) continue;
        for (const [keyId, current] of b.map) {
          if (++n % ITEMS_PER_CLOCK_LOOK === 0 && (slices.due || batch.length >= BATCH)) {
            if (batch.length > 0) yield batch;
            batch = [];
            await slices.maybeNext();
            this.checkRunning(versions);
          }
          const stored = b.valueAt(keyId, current, version);
          if (stored === REMOVED) continue;
          const key = typeof stored === 'object' ? stored.key : keyId;
          const keyGroup = assignToKeyGroup(key, maxParallelism);
          if (keyGroup < lo || keyGroup > hi) continue;
          if (typeof stored !== 'object') batch.push({ keyGroup, stateName, key, namespace: stored, value: timestamp });
          else for (const namespace of stored.namespaces) batch.push({ keyGroup, stateName, key, namespace, value: timestamp });
        }
      }
    }
    this.checkRunning(versions);
    if (batch.length > 0) {
      yield batch;
      this.checkRunning(versions);
    }
  }

  /** A released snapshot must not end as if complete: its entries may no longer be kept. */
  private checkRunning(versions: SnapshotVersions): void {
    if (!versions.isRunning(this.version)) throw new StateBackendError('the memory state snapshot was released before it was read to the end');
  }
}
