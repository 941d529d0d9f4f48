import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openNativeKeyedStateFile, restoreNativeKeyedState, writeNativeKeyedStateFile } from '../../src/checkpoint/native-keyed-state-file.js';
import { VOID_NAMESPACE } from '../../src/state/keyed-state-backend.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';

// Checkpoints capture the cache's unwritten changes lazily: a value is serialised when the task
// next touches the entry, when the cache writes it, or when the asynchronous part gets to it. Here
// the task keeps changing state (in place, as ListState.add does) while several snapshots are
// being written, with a cache small enough to write and evict entries meanwhile; every snapshot
// must still restore to the state at its own barrier.

const RANGE = { start: 0, end: 127 };
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fluss-capture-'));
  dirs.push(d);
  return d;
}

async function open(cacheBytes: number): Promise<LevelDbKeyedStateBackend> {
  const b = await LevelDbKeyedStateBackend.open({
    maxParallelism: 128,
    keyGroupRange: RANGE,
    operatorName: 'op',
    path: join(await tempDir(), 'db'),
    cacheBytes,
    incremental: { maxLength: 100, maxDeltaRatio: 1000, changelogBytes: 64 << 20 },
  });
  b.registerState('list', 'list');
  return b;
}

type Op =
  | { kind: 'append'; key: number; value: number }
  | { kind: 'replace'; key: number; value: number }
  | { kind: 'remove'; key: number }
  | { kind: 'read'; key: number }
  | { kind: 'snapshot'; full: boolean }
  | { kind: 'yield' };

const KEYS = 60;
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), key: fc.nat(KEYS - 1), value: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), key: fc.nat(KEYS - 1), value: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), full: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'yield' as const }) },
);

describe('lazily serialised snapshot captures', () => {
  it.each([
    ['a tiny cache (entries written and evicted while snapshots are written)', 4 * 1024],
    ['a large cache (every change stays in the cache)', 64 << 20],
  ])('with %s, every snapshot restores the state as it was at its barrier', async (_, cacheBytes) => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 300 }), async (ops) => {
        const b = await open(cacheBytes);
        const files = await tempDir();
        const model = new Map<number, number[]>();
        // Per snapshot: its file (being written), the model at its barrier, and whether it was full.
        const taken: { written: Promise<Awaited<ReturnType<typeof writeNativeKeyedStateFile>>>; expected: Map<number, number[]>; full: boolean }[] = [];
        try {
          for (const o of [...ops, { kind: 'snapshot', full: false } as Op]) {
            if (o.kind === 'yield') {
              await new Promise<void>((r) => setImmediate(r));
              continue;
            }
            if (o.kind === 'snapshot') {
              const full = o.full || taken.length === 0 || !b.canSnapshotDelta;
              const expected = new Map([...model].map(([k, v]) => [k, [...v]]));
              const written = writeNativeKeyedStateFile(files, `s${taken.length}`, b.snapshotNative(!full));
              written.catch(() => undefined);
              taken.push({ written, expected, full });
              continue;
            }
            b.setCurrentKey(o.key);
            if (o.kind === 'read') {
              expect(b.get('list', VOID_NAMESPACE) ?? []).toEqual(model.get(o.key) ?? []);
            } else if (o.kind === 'append') {
              // In place, as ListState.add: the stored array itself grows, then is put back.
              const list = (b.get('list', VOID_NAMESPACE) as number[] | undefined) ?? [];
              list.push(o.value);
              b.put('list', VOID_NAMESPACE, list);
              model.set(o.key, [...(model.get(o.key) ?? []), o.value]);
            } else if (o.kind === 'replace') {
              b.put('list', VOID_NAMESPACE, [o.value]);
              model.set(o.key, [o.value]);
            } else {
              b.remove('list', VOID_NAMESPACE);
              model.delete(o.key);
            }
          }
          const handles = await Promise.all(taken.map((t) => t.written));
          let chain: Awaited<ReturnType<typeof openNativeKeyedStateFile>>[] = [];
          for (let i = 0; i < taken.length; i++) {
            const ref = await openNativeKeyedStateFile(files, handles[i]!);
            chain = taken[i]!.full ? [ref] : [...chain, ref];
            const restored = await open(64 << 20);
            try {
              await restoreNativeKeyedState(restored, chain);
              for (let k = 0; k < KEYS; k++) {
                restored.setCurrentKey(k);
                expect([i, k, restored.get('list', VOID_NAMESPACE)]).toEqual([i, k, taken[i]!.expected.get(k)]);
              }
            } finally {
              await restored.dispose();
            }
          }
        } finally {
          await Promise.all(taken.map((t) => t.written.catch(() => undefined)));
          await b.dispose();
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
