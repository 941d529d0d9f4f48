import { describe, expect, it } from 'vitest';
import { SharedStateRegistry, sharedFilesOf } from '../../src/checkpoint/shared-state-registry.js';
import { creatorCheckpointOf, sharedFileName } from '../../src/checkpoint/incremental-keyed-state.js';
import type { CheckpointMetadata, StateFileHandle } from '../../src/checkpoint/checkpoint-types.js';
import { SnapshotChain } from '../../src/state/snapshot-chain.js';
import { LevelDbChangeRecorder } from '../../src/state/leveldb-change-recorder.js';

const file = (path: string, size = 10): StateFileHandle => ({ path, size, checksum: '0'.repeat(64) });

describe('SnapshotChain', () => {
  it('starts full, then deltas whose file lists grow, and materializes at the length bound', async () => {
    const chain = new SnapshotChain<StateFileHandle>({ maxLength: 3, maxDeltaRatio: 100 });
    const kinds: boolean[] = [];
    const lists: string[][] = [];
    for (let i = 1; i <= 7; i++) {
      const step = chain.begin(true);
      kinds.push(step.full);
      step.written(file(`f${i}`), 10);
      lists.push((await step.files).map((f) => f.path));
    }
    expect(kinds).toEqual([true, false, false, true, false, false, true]);
    expect(lists[2]).toEqual(['f1', 'f2', 'f3']);
    expect(lists[3]).toEqual(['f4']);
    expect(lists[5]).toEqual(['f4', 'f5', 'f6']);
  });

  it('a step whose file is not written makes the next one full, and fails the overlapping step after it', async () => {
    const chain = new SnapshotChain<StateFileHandle>({ maxLength: 10, maxDeltaRatio: 100 });
    const base = chain.begin(true);
    base.written(file('b'), 10);
    const d1 = chain.begin(true);
    const d2 = chain.begin(true);
    expect(d2.full).toBe(false);
    d1.failed(new Error('disk full'));
    d2.written(file('d2'), 1);
    await expect(d2.files).rejects.toThrow('disk full');
    expect(chain.begin(true).full).toBe(true);
  });

  it('is full when the backend lost changes, and when the deltas outgrow the base', () => {
    const chain = new SnapshotChain<StateFileHandle>({ maxLength: 10, maxDeltaRatio: 1 });
    chain.begin(true).written(file('b'), 100);
    expect(chain.needsFull(false)).toBe(true);
    chain.begin(true).written(file('d1'), 60);
    expect(chain.needsFull(true)).toBe(false);
    chain.begin(true).written(file('d2'), 60);
    expect(chain.needsFull(true)).toBe(true);
  });

  it('a failure reported after the file was written changes nothing', () => {
    const chain = new SnapshotChain<StateFileHandle>({ maxLength: 10, maxDeltaRatio: 100 });
    const base = chain.begin(true);
    base.written(file('b'), 10);
    base.failed(new Error('released late'));
    expect(chain.begin(true).full).toBe(false);
  });
});

describe('LevelDbChangeRecorder', () => {
  it('keeps the last write per key and overflows past its bound', () => {
    const r = new LevelDbChangeRecorder(1000);
    r.put(Buffer.from('k1'), 2, Buffer.from('a'));
    r.put(Buffer.from('k1xx'), 2, Buffer.from('b'));
    r.delete(Buffer.from('k2'), 2);
    expect(r.records().map(([k, v]) => [k.toString(), v?.toString()])).toEqual([
      ['k1', 'b'],
      ['k2', undefined],
    ]);
    r.put(Buffer.from('k3'), 2, Buffer.alloc(2000));
    expect(r.overflowed).toBe(true);
    expect(r.size).toBe(0);
  });
});

describe('SharedStateRegistry', () => {
  const meta = (id: number, chains: string[][]): CheckpointMetadata => ({
    version: 1,
    jobId: 'j',
    checkpointId: id,
    timestamp: 0,
    savepoint: false,
    operators: [
      {
        operatorId: 'op',
        name: 'op',
        parallelism: chains.length,
        maxParallelism: 128,
        subtasks: chains.map((c, i) => ({ operatorId: 'op', subtaskIndex: i, keyed: { file: file(c.at(-1)!), keyGroupRange: { start: i, end: i }, format: 'leveldb-native', chain: c.map((p) => file(p)) } })),
      },
    ],
  });

  it('counts references per retained checkpoint and frees a file with its last one', () => {
    const r = new SharedStateRegistry();
    const [a, b, c] = [sharedFileName(1, 'op', 0), sharedFileName(2, 'op', 0), sharedFileName(3, 'op', 0)];
    r.register(1, sharedFilesOf(meta(1, [[a]])));
    r.register(2, sharedFilesOf(meta(2, [[a, b]])));
    r.register(2, [c]); // registered twice: no change
    r.register(3, sharedFilesOf(meta(3, [[a, b, c]])));
    expect(r.references(a)).toBe(3);
    expect(r.unregister(1)).toEqual([]);
    expect(r.unregister(2)).toEqual([]);
    expect(r.unregister(3).sort()).toEqual([a, b, c].sort());
  });

  it('never lets a referenced file, or one a checkpoint in flight may use, be collected', () => {
    const r = new SharedStateRegistry();
    const base = sharedFileName(4, 'op', 0);
    const aborted = sharedFileName(6, 'op', 0);
    const retainedDelta = sharedFileName(7, 'op', 0);
    const old = sharedFileName(2, 'op', 1);
    r.register(7, [base, retainedDelta]);
    expect(creatorCheckpointOf(aborted)).toBe(6);
    expect(r.isCollectable(base, 7)).toBe(false); // referenced
    expect(r.isCollectable(aborted, 7)).toBe(true); // older than every retained checkpoint, unreferenced
    expect(r.isCollectable(aborted, 5)).toBe(false); // a checkpoint in flight may reference it
    expect(r.isCollectable(old, 7)).toBe(true);
    expect(r.isCollectable('unrelated-file', undefined)).toBe(false);
    r.unregister(7);
    expect(r.isCollectable(base, undefined)).toBe(true); // the job's checkpoints are all gone
  });
});
