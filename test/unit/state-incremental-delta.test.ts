import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openNativeKeyedStateFile, restoreNativeKeyedState, writeNativeKeyedStateFile } from '../../src/checkpoint/native-keyed-state-file.js';
import { VOID_NAMESPACE } from '../../src/state/keyed-state-backend.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';

const RANGE = { start: 0, end: 127 };
let dirs: string[] = [];
const backends: LevelDbKeyedStateBackend[] = [];
afterEach(async () => {
  for (const b of backends.splice(0)) await b.dispose();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function open(cacheBytes: number): Promise<LevelDbKeyedStateBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'fluss-delta-'));
  dirs.push(dir);
  const b = await LevelDbKeyedStateBackend.open({
    maxParallelism: 128,
    keyGroupRange: RANGE,
    operatorName: 'op',
    path: join(dir, 'db'),
    cacheBytes,
    incremental: { maxLength: 10, maxDeltaRatio: 100, changelogBytes: 64 << 20 },
  });
  backends.push(b);
  b.registerState('v', 'value');
  return b;
}

function set(b: LevelDbKeyedStateBackend, key: number, value: number | undefined): void {
  b.setCurrentKey(key);
  if (value === undefined) b.remove('v', VOID_NAMESPACE);
  else b.put('v', VOID_NAMESPACE, value);
}

function get(b: LevelDbKeyedStateBackend, key: number): unknown {
  b.setCurrentKey(key);
  return b.get('v', VOID_NAMESPACE);
}

/** Writes the backend's next snapshot (full or delta) to a file; returns the file's ref and size. */
async function snapshot(b: LevelDbKeyedStateBackend, delta: boolean, dir: string, name: string) {
  const handle = await writeNativeKeyedStateFile(dir, name, b.snapshotNative(delta));
  return { ref: await openNativeKeyedStateFile(dir, handle), size: handle.size };
}

describe('incremental LevelDB snapshots', () => {
  // A small cache: most entries are written to LevelDB (and recorded) between snapshots; a large
  // one: every entry stays dirty in the cache (captured at the snapshot, never written).
  it.each([
    ['a small', 256 * 1024],
    ['a large', 64 << 20],
  ])('with %s cache, a delta holds only what changed since the last snapshot, and base + deltas restore the state exactly', async (_, cacheBytes) => {
    const b = await open(cacheBytes);
    const files = await mkdtemp(join(tmpdir(), 'fluss-delta-files-'));
    dirs.push(files);
    const N = 10_000;
    const expected = new Map<number, number>();
    for (let k = 0; k < N; k++) {
      set(b, k, k);
      expected.set(k, k);
    }
    const base = await snapshot(b, false, files, 'base');
    const deltas = [];
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 300; i++) {
        const k = (i * 37 + round * 1000) % N;
        set(b, k, round * N + k);
        expected.set(k, round * N + k);
      }
      // Entries created and removed in another round: a delta must carry the deletion.
      set(b, N + round, round);
      if (round > 1) {
        set(b, N + round - 1, undefined);
        expected.delete(N + round - 1);
      }
      expected.set(N + round, round);
      expect(b.canSnapshotDelta).toBe(true);
      deltas.push(await snapshot(b, true, files, `delta-${round}`));
    }
    // Each delta is a small fraction of the full snapshot: 300 changed entries of 10 000.
    for (const d of deltas) expect(d.size).toBeLessThan(base.size / 10);

    const restored = await open(64 << 20);
    await restoreNativeKeyedState(restored, [base.ref, ...deltas.map((d) => d.ref)]);
    for (const [k, v] of expected) expect(get(restored, k)).toBe(v);
    expect(get(restored, N + 1)).toBeUndefined();
    expect(get(restored, N + 2)).toBeUndefined();
    expect(get(restored, N + 3)).toBe(3);
  });
});
