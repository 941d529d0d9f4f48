/**
 * Loading raw records of native snapshots into a LevelDB database (restore of a checkpoint,
 * before processing starts): records of key groups outside the subtask's range are skipped,
 * state ids re-mapped in place, and records go into chained batches as they are, in order (a
 * deletion or a later put of a key replaces an earlier record). Canonical entries (a savepoint, or
 * a snapshot of another backend) are encoded into the same layout first.
 */
import { EventLoopSlices, ITEMS_PER_CLOCK_LOOK } from './event-loop-slices.js';
import { KeyWriter } from './key-codec.js';
import type { KeyGroupRange } from './key-groups.js';
import { timerDomainOfStateName, type KeyedStateEntry, type TimerEntry } from './keyed-state-backend.js';
import { EVENT_TIMER_STATE_ID, MAX_USER_STATE_ID, PROCESSING_TIMER_STATE_ID, writeStateKey } from './leveldb-key-layout.js';
import type { LevelDbStore } from './leveldb-store.js';
import type { RawRecord } from './native-record-codec.js';
import { StateBackendError } from './state-errors.js';
import { serializeValue } from './value-codec.js';

/** Canonical restore writes this many entries per batch. */
const RESTORE_BATCH = 10_000;
/** Native restore writes this many raw records per batch (no decoding: larger batches pay off). */
const RAW_RESTORE_BATCH = 50_000;

/**
 * Writes `batches` into `store`; `remap[snapshot id]` is the local state id (-1: unknown, which
 * refuses the snapshot). Resolves once everything is written.
 */
export async function loadRawRecords(
  store: LevelDbStore,
  batches: AsyncIterable<RawRecord[]>,
  remap: Int32Array,
  range: KeyGroupRange,
  operatorName: string,
): Promise<void> {
  const { start, end } = range;
  let n = 0;
  let previous = 0;
  for await (const batch of batches) {
    // Nothing seals or swaps the collecting batch inside this synchronous loop.
    const target = store.batch().batch;
    for (let i = 0; i < batch.length; i++) {
      const [k, v] = batch[i]!;
      const keyGroup = k.readUInt16BE(0);
      if (keyGroup < start || keyGroup > end) continue;
      const id = k.readUInt16BE(2);
      const local = remap[id]!;
      if (local < 0) throw new StateBackendError(`${operatorName}: native snapshot record of unknown state id ${id}`);
      // The record is the caller's to change: rewrite the id in place, no copy.
      if (local !== id) k.writeUInt16BE(local, 2);
      if (v === undefined) target.del(k);
      else target.put(k, v);
      n++;
    }
    if (n >= RAW_RESTORE_BATCH) {
      n = 0;
      // Double-buffered: this batch is written while the next one is decoded; only the one
      // before it must be written by now (at most two batches in memory).
      store.schedule();
      const mark = store.submittedSequence;
      if (previous > 0) await store.whenWrittenUpTo(previous);
      previous = mark;
    }
  }
  await store.whenWritten();
}

/**
 * The table re-mapping a native snapshot's state ids (`states`: its id → name table) to this
 * database's (`localIdOf(name)`); -1 marks an id the snapshot does not name. Timer ids stay.
 */
export function stateIdRemap(states: readonly [number, string][], localIdOf: (name: string) => number, operatorName: string): Int32Array {
  const remap = new Int32Array(0x10000).fill(-1);
  remap[EVENT_TIMER_STATE_ID] = EVENT_TIMER_STATE_ID;
  remap[PROCESSING_TIMER_STATE_ID] = PROCESSING_TIMER_STATE_ID;
  for (const [id, name] of states) {
    if (id < 1 || id > MAX_USER_STATE_ID) throw new StateBackendError(`${operatorName}: native snapshot names state id ${id}, outside the user range`);
    remap[id] = localIdOf(name);
  }
  return remap;
}

/**
 * Writes canonical `entries` of key groups in `range` into `store` (others are skipped); `stateId`
 * names the local id of a state, timers go to `putTimer`. Resolves once every batch is handed over;
 * time slices let timers and I/O (heartbeats) run in between.
 */
export async function loadCanonicalEntries(
  store: LevelDbStore,
  entries: Iterable<KeyedStateEntry> | AsyncIterable<KeyedStateEntry>,
  range: KeyGroupRange,
  stateId: (name: string) => number,
  putTimer: (timer: TimerEntry) => void,
): Promise<void> {
  const w = new KeyWriter();
  const slices = new EventLoopSlices();
  let n = 0;
  let seen = 0;
  for await (const e of entries) {
    if (++seen % ITEMS_PER_CLOCK_LOOK === 0) await slices.maybeNext();
    if (e.keyGroup < range.start || e.keyGroup > range.end) continue;
    const domain = timerDomainOfStateName(e.stateName);
    if (domain) {
      putTimer({ domain, timestamp: e.value as number, key: e.key, keyGroup: e.keyGroup, namespace: e.namespace });
      continue;
    }
    w.reset();
    writeStateKey(w, e.keyGroup, stateId(e.stateName), e.key, e.namespace);
    store.batch().batch.put(w.view(), serializeValue(e.value));
    if (++n % RESTORE_BATCH === 0) await store.whenWritten();
  }
}
