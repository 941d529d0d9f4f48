/**
 * Restoring a large state never holds the event loop for long: native LevelDB files into
 * LevelDB and into memory, canonical files into either backend, and operator state all go in
 * time slices, so a TaskManager keeps heartbeating while it restores. A timer probe measures the
 * longest stall and the whole restore; the stall must be a small part of the whole (a restore in
 * one piece stalls for nearly all of it), so the check holds on a fast and a loaded machine alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateFileHandle } from '../../src/checkpoint/checkpoint-types.js';
import { openNativeKeyedStateFile, restoreNativeKeyedState, writeNativeKeyedStateFile } from '../../src/checkpoint/native-keyed-state-file.js';
import { readKeyedStateFile, readOperatorStateFile, writeKeyedStateFile, writeOperatorStateFile } from '../../src/checkpoint/state-files.js';
import type { KeyedStateBackend } from '../../src/state/keyed-state-backend.js';
import { snapshotKeyedState } from '../../src/state/keyed-state-snapshot.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';

const MAX_P = 128;
const RANGE = { start: 0, end: MAX_P - 1 };
/** Keyed entries: restores of them took 0.3–3 s in one piece before (a heap this size keeps GC pauses short). */
const KEYS = 150_000;
/** Items of one operator state. */
const OPERATOR_ITEMS = 600_000;
/** The longest stall may be at most this part of the whole restore (a full GC pause is not sliceable). */
const MAX_STALL_SHARE = 1 / 3;

/** Fails unless the longest stall is a small part of the restore's duration. */
function expectSliced(r: { stall: number; total: number }): void {
  expect(r.stall, `longest stall ${r.stall} ms of a ${r.total} ms restore`).toBeLessThanOrEqual(Math.max(r.total * MAX_STALL_SHARE, 50));
}

/** Runs `work` while a timer ticks every 5 ms; resolves with the longest gap between ticks beyond 5 ms and the whole duration. */
async function longestStall(work: () => Promise<unknown>): Promise<{ stall: number; total: number }> {
  const t0 = performance.now();
  let last = performance.now();
  let worst = 0;
  let on = true;
  const tick = (): void => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
    if (on) setTimeout(tick, 5);
  };
  setTimeout(tick, 5);
  try {
    await work();
  } finally {
    on = false;
  }
  // The last stretch of work counts too.
  worst = Math.max(worst, performance.now() - last - 5);
  return { stall: Math.round(worst), total: Math.round(performance.now() - t0) };
}

let dir: string;
let nativeHandle: StateFileHandle;
let canonicalHandle: StateFileHandle;
let operatorHandle: StateFileHandle;
const open: KeyedStateBackend[] = [];
let dbs = 0;

async function leveldb(): Promise<LevelDbKeyedStateBackend> {
  const b = await LevelDbKeyedStateBackend.open({ maxParallelism: MAX_P, keyGroupRange: RANGE, operatorName: 'Op', path: join(dir, `db-${dbs++}`), cacheBytes: 1 << 20 });
  open.push(b);
  return b;
}

function memory(): MemoryKeyedStateBackend {
  const b = new MemoryKeyedStateBackend({ maxParallelism: MAX_P, keyGroupRange: RANGE, operatorName: 'Op' });
  open.push(b);
  return b;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluss-restore-stall-'));
  const src = await leveldb();
  src.registerState('ride', 'value');
  for (let i = 0; i < KEYS; i++) {
    src.setCurrentKey(`ride-${i}`);
    src.put('ride', '', { id: i, driver: `driver-${i % 977}`, fare: i / 7, tags: ['a', 'b'] });
  }
  const snap = await snapshotKeyedState(src, false);
  if (snap.format !== 'leveldb-native') throw new Error('expected a native snapshot');
  nativeHandle = await writeNativeKeyedStateFile(dir, 'op-0-keyed', snap.native);
  canonicalHandle = await writeKeyedStateFile(dir, 'op-0-canonical', RANGE, await src.snapshotKeyGroups());
  const offsets = Array.from({ length: OPERATOR_ITEMS }, (_, i) => ({ partition: i % 16, offset: i, note: `offset-${i}` }));
  operatorHandle = await writeOperatorStateFile(dir, 'op-0-op', { offsets: { mode: 'split', items: offsets } });
}, 120_000);

afterAll(async () => {
  for (const b of open) await b.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('restoring a large state keeps the event loop turning', () => {
  it('a native LevelDB file into LevelDB', async () => {
    const dst = await leveldb();
    const stall = await longestStall(async () => restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, nativeHandle)]));
    dst.registerState('ride', 'value');
    dst.setCurrentKey(`ride-${KEYS - 1}`);
    expect(dst.get('ride', '')).toMatchObject({ id: KEYS - 1 });
    expectSliced(stall);
  }, 60_000);

  it('a native LevelDB file into the memory backend', async () => {
    const dst = memory();
    const stall = await longestStall(async () => restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, nativeHandle)]));
    dst.registerState('ride', 'value');
    dst.setCurrentKey('ride-7');
    expect(dst.get('ride', '')).toMatchObject({ id: 7 });
    expectSliced(stall);
  }, 60_000);

  it('a canonical file into the memory backend and into LevelDB', async () => {
    const mem = memory();
    const db = await leveldb();
    const stall = await longestStall(async () => {
      const entries = await readKeyedStateFile(dir, canonicalHandle, RANGE);
      expect(entries).toHaveLength(KEYS);
      await mem.restore(entries);
      await db.restore(entries);
    });
    for (const b of [mem, db]) {
      b.registerState('ride', 'value');
      b.setCurrentKey('ride-11');
      expect(b.get('ride', '')).toMatchObject({ id: 11 });
    }
    expectSliced(stall);
  }, 60_000);

  it('an operator state file of many items', async () => {
    let items = 0;
    const stall = await longestStall(async () => {
      items = (await readOperatorStateFile(dir, operatorHandle)).offsets!.items.length;
    });
    expect(items).toBe(OPERATOR_ITEMS);
    expectSliced(stall);
  }, 60_000);
});
