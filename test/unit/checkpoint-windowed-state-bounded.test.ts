import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OperatorTestHarness } from '../../src/api/testing/operator-test-harness.js';
import { openNativeKeyedStateFile, restoreNativeKeyedState, writeNativeKeyedStateFile } from '../../src/checkpoint/native-keyed-state-file.js';
import { writeKeyedStateFile } from '../../src/checkpoint/state-files.js';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../src/index.js';
import type { KeyedStateBackend } from '../../src/state/keyed-state-backend.js';
import { snapshotKeyedState } from '../../src/state/keyed-state-snapshot.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';

type Ev = { user: number; ts: number };
const count = { createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b };

let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fluss-bounded-'));
  dirs.push(d);
  return d;
}

/** Writes a checkpoint file of `backend` as a task would; returns its size in bytes. */
async function checkpointSize(backend: KeyedStateBackend, dir: string, name: string): Promise<number> {
  const snap = await snapshotKeyedState(backend, false);
  const file =
    snap.format === 'leveldb-native'
      ? await writeNativeKeyedStateFile(dir, name, snap.native)
      : await writeKeyedStateFile(dir, name, snap.keyGroupRange, snap.entries);
  return file.size;
}

describe.each(['memory', 'leveldb'] as const)('checkpoints of a windowed job stay bounded by the live windows (%s backend)', (stateBackend) => {
  it.each([
    ['tumbling 1 s', TumblingEventTimeWindows.of(1000)],
    ['sliding 5 s / 1 s', SlidingEventTimeWindows.of(5000, 1000)],
  ] as const)('%s windows over 1 000 keys, a checkpoint per second of event time', async (_name, assigner) => {
    const dir = await tmp();
    const h = await OperatorTestHarness.forStream<Ev, number>((s) => s.keyBy((e) => e.user).window(assigner).aggregate(count), { stateBackend });
    const KEYS = 1000;
    const PER_SECOND = 2000;
    const SECONDS = 30;
    const sizes: number[] = [];
    let i = 0;
    try {
      const backend = (h as unknown as { ops: { backends: KeyedStateBackend[] } }).ops.backends[0]!;
      for (let sec = 0; sec < SECONDS; sec++) {
        for (let j = 0; j < PER_SECOND; j++, i++) {
          const ts = Math.floor((i * 1000) / PER_SECOND);
          h.processElement({ user: i % KEYS, ts }, ts);
        }
        h.processWatermark(sec * 1000 + 499);
        sizes.push(await checkpointSize(backend, dir, `chk-${sec}`));
      }
      // Every window fired: each key counted twice per second of every window it covered.
      const out = h.extractOutputValues();
      expect(out.length).toBeGreaterThan(0);
      expect(out.every((n) => n % 2 === 0)).toBe(true);
    } finally {
      await h.close();
    }
    // After the windows filled (the first 10 s), the live state is the same every second: later
    // checkpoints are no larger (a few bytes of varint widths aside) than those of 10..15 s.
    const settled = Math.max(...sizes.slice(10, 15));
    expect(Math.max(...sizes.slice(15)), `checkpoint sizes ${sizes.join(' ')}`).toBeLessThanOrEqual(settled * 1.05);
  }, 120_000);
});

describe('LevelDB cache: state and timers created and removed before a write leave no records in a checkpoint', () => {
  for (const restored of [false, true]) {
    it(restored ? 'after a native restore (no filter of written keys)' : 'on a fresh database', async () => {
      const dir = await tmp();
      const open = (n: string) =>
        LevelDbKeyedStateBackend.open({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorName: 'Op', path: join(dir, n), cacheBytes: 64 << 20 });
      let b = await open('db-0');
      b.registerState('acc', 'value');
      b.setCurrentKey('live');
      b.put('acc', 'w0', 1);
      if (restored) {
        const handle = await writeNativeKeyedStateFile(dir, 'chk', b.snapshotNative());
        await b.dispose();
        b = await open('db-1');
        b.registerState('acc', 'value');
        await restoreNativeKeyedState(b, [await openNativeKeyedStateFile(dir, handle)]);
      }
      try {
        // Windows of 500 keys open (state and a cleanup timer) and expire (both cleared).
        for (let k = 0; k < 500; k++) {
          b.setCurrentKey(k);
          const t = { domain: 'EVENT_TIME' as const, timestamp: 999, key: k, keyGroup: b.getCurrentKeyGroup(), namespace: `w${k}` };
          expect(b.get('acc', t.namespace)).toBeUndefined();
          b.put('acc', t.namespace, k);
          b.putTimer(t);
          b.deleteTimer(t);
          b.remove('acc', t.namespace);
        }
        // A key the database holds still gets its deletion.
        b.setCurrentKey('live');
        b.remove('acc', 'w0');
        const snap = b.snapshotNative();
        const records = snap.unwritten.records;
        snap.unwritten.discard();
        (await snap.iterator).close();
        expect(records).toBe(restored ? 1 : 0);
        b.setCurrentKey('live');
        expect(b.get('acc', 'w0')).toBeUndefined();
        let keys = 0;
        for await (const _ of b.keys('acc')) keys++;
        expect(keys).toBe(0);
      } finally {
        await b.dispose();
      }
    });
  }
});
