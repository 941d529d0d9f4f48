/**
 * Native snapshots of the LevelDB backend: raw LevelDB records (key layout
 * `[keyGroup u16][state id u16][key][namespace]`, values as msgpack) plus the table of user
 * state ids, which are local to one database and so are re-mapped by name on restore. The
 * records are the database as last written (a snapshot iterator) followed by the write-back
 * cache's changes not written yet (puts and deletions), applied in that order on restore. The key
 * group is the first two bytes of every key, so restoring at another parallelism filters raw
 * records without decoding them. Decoding into canonical entries is only needed when such a
 * snapshot is restored into a backend that does not store these bytes (memory).
 */
import type { TypeRegistry } from '../core/type-registry.js';
import type { KeyGroupRange } from './key-groups.js';
import { TIMER_STATE_NAMES, type KeyedStateEntry } from './keyed-state-backend.js';
import { EventLoopSlices, ITEMS_PER_CLOCK_LOOK } from './event-loop-slices.js';
import { EVENT_TIMER_STATE_ID, parseKey, PROCESSING_TIMER_STATE_ID } from './leveldb-key-layout.js';
import type { RawRecord } from './native-record-codec.js';
import type { UnwrittenCapture } from './leveldb-unwritten-capture.js';
import { StateBackendError } from './state-errors.js';
import { deserializeValue } from './value-codec.js';

/** Records read in chunks: a database snapshot iterator or a delta's list of changes. */
export interface RecordIterator {
  /** Up to `size` next records; an empty array at the end. */
  nextv(size: number): Promise<RawRecord[]>;
  close(): Promise<void>;
}

/** A native LevelDB snapshot, taken by {@link LevelDbKeyedStateBackend.snapshotNative}. */
export interface LevelDbNativeSnapshot {
  /** Key groups the records cover. */
  keyGroupRange: KeyGroupRange;
  /** User state id → state name at the snapshot point (timers use the reserved ids). */
  states: [number, string][];
  /**
   * The snapshot iterator; resolves once every write made before the snapshot is in LevelDB
   * (the iterator reads exactly those). The consumer closes it. A delta snapshot (incremental
   * checkpoints) iterates the changes recorded since the previous snapshot point instead,
   * deletions included (undefined values).
   */
  iterator: Promise<RecordIterator>;
  /**
   * The cache's changes not in the database at the snapshot point, whose records (see
   * native-record-codec.ts) follow the iterator's. The consumer drains and finishes it, or
   * discards it when the snapshot is not written.
   */
  unwritten: UnwrittenCapture;
}

/**
 * The canonical entry of one raw LevelDB record; `stateNameOf` names a user state id (timers use
 * the reserved ids) or throws for an id it does not know; type names resolve in `types` (see
 * {@link deserializeValue}).
 */
export function rawRecordToEntry(k: Buffer, v: Buffer, stateNameOf: (stateId: number) => string, types?: TypeRegistry): KeyedStateEntry {
  const p = parseKey(k);
  if (p.stateId === EVENT_TIMER_STATE_ID || p.stateId === PROCESSING_TIMER_STATE_ID) {
    const stateName = p.stateId === EVENT_TIMER_STATE_ID ? TIMER_STATE_NAMES.EVENT_TIME : TIMER_STATE_NAMES.PROCESSING_TIME;
    return { keyGroup: p.keyGroup, stateName, key: p.key, namespace: p.namespace, value: p.timestamp };
  }
  return { keyGroup: p.keyGroup, stateName: stateNameOf(p.stateId), key: p.key, namespace: p.namespace, value: deserializeValue(v, types) };
}

/**
 * Canonical entries of raw records in `range` (restore of a native snapshot into a backend
 * other than LevelDB: the job's backend changed since the checkpoint). Records are applied in
 * order first (a later put or a deletion replaces an earlier record of the key), so every entry
 * comes out once, with its last value; the backends this serves hold their state in memory anyway.
 */
export async function* decodeNativeRecords(
  batches: AsyncIterable<RawRecord[]>,
  states: readonly [number, string][],
  range: KeyGroupRange,
): AsyncIterable<KeyedStateEntry> {
  const names = new Map(states);
  const stateNameOf = (id: number): string => {
    const name = names.get(id);
    if (name === undefined) throw new StateBackendError(`native keyed state snapshot: record of unknown state id ${id}`);
    return name;
  };
  const latest = new Map<string, RawRecord>();
  for await (const batch of batches) {
    for (const record of batch) {
      const keyGroup = record[0].readUInt16BE(0);
      if (keyGroup < range.start || keyGroup > range.end) continue;
      const id = record[0].toString('latin1');
      // Re-inserted: the map's order stays the order of last writes.
      latest.delete(id);
      if (record[1] !== undefined) latest.set(id, record);
    }
  }
  // Decoding every entry is long: time slices let timers and I/O (heartbeats) run in between.
  const slices = new EventLoopSlices();
  let n = 0;
  for (const [k, v] of latest.values()) {
    if (++n % ITEMS_PER_CLOCK_LOOK === 0) await slices.maybeNext();
    yield rawRecordToEntry(k, v!, stateNameOf);
  }
}
