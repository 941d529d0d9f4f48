import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redistributeOperatorState } from '../../src/checkpoint/task-state-assignment.js';
import { FileSource } from '../../src/connectors/file-source.js';
import { SequenceSource } from '../../src/connectors/sequence-source.js';
import type { Source, SourceReader } from '../../src/common/source.js';

async function drain<T>(r: SourceReader<T>, max = Infinity): Promise<T[]> {
  await r.start();
  const out: T[] = [];
  for (;;) {
    const st = r.pollNext({ collect: (v) => void out.push(v) }, Math.min(100, max - out.length));
    if (st === 'END_OF_INPUT' || out.length >= max) return out;
    if (st === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
}

/** Reads part of every reader at p, snapshots, redistributes the splits to q readers and reads the rest. */
async function rescale<T>(source: Source<T>, p: number, q: number, firstShare: number): Promise<T[]> {
  const seen: T[] = [];
  const snapshots = [];
  for (let i = 0; i < p; i++) {
    const r = source.createReader({ subtaskIndex: i, parallelism: p, sourceName: 's' });
    seen.push(...(await drain(r, firstShare)));
    snapshots.push({ _source_splits: { mode: 'split' as const, items: r.snapshotState() as unknown[] } });
    await r.close();
  }
  for (let j = 0; j < q; j++) {
    const share = redistributeOperatorState(snapshots, j, q);
    const r = source.createReader({ subtaskIndex: j, parallelism: q, sourceName: 's' });
    r.restoreState(share._source_splits?.items ?? []);
    seen.push(...(await drain(r)));
  }
  return seen;
}

describe('source splits redistribute on rescale', () => {
  it('SequenceSource 2 → 3 and 3 → 1: every number exactly once', async () => {
    for (const [p, q] of [[2, 3], [3, 1], [2, 2]] as const) {
      const got = await rescale(new SequenceSource(1, 1000), p, q, 123);
      expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    }
  });

  it('FileSource 2 → 3: every line exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-splits-'));
    try {
      const lines: string[] = [];
      for (let f = 0; f < 5; f++) {
        const mine = Array.from({ length: 300 }, (_, i) => `f${f}-${i}`);
        lines.push(...mine);
        await writeFile(join(dir, `in-${f}.txt`), mine.join('\n') + '\n');
      }
      const got = await rescale(FileSource.forLines(dir), 2, 3, 150);
      expect(got.sort()).toEqual(lines.sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('redistributes split lists round-robin, union lists whole, broadcast from one copy', () => {
    const old = [
      { s: { mode: 'split' as const, items: ['a', 'b', 'c'] }, u: { mode: 'union' as const, items: [1] }, b: { mode: 'broadcast' as const, items: [['k', 1]] } },
      { s: { mode: 'split' as const, items: ['d', 'e'] }, u: { mode: 'union' as const, items: [2] }, b: { mode: 'broadcast' as const, items: [['k', 1]] } },
    ];
    expect(redistributeOperatorState(old, 0, 3)).toEqual({ s: { mode: 'split', items: ['a', 'd'] }, u: { mode: 'union', items: [1, 2] }, b: { mode: 'broadcast', items: [['k', 1]] } });
    expect(redistributeOperatorState(old, 1, 3).s!.items).toEqual(['b', 'e']);
    expect(redistributeOperatorState(old, 2, 3).s!.items).toEqual(['c']);
    expect(redistributeOperatorState(old, 0, 1).s!.items).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('keeps each split list with its subtask when the parallelism did not change (union lists still whole)', () => {
    const old = [
      { s: { mode: 'split' as const, items: ['a', 'b', 'c'] }, u: { mode: 'union' as const, items: [1] } },
      { s: { mode: 'split' as const, items: ['d'] }, u: { mode: 'union' as const, items: [2] } },
    ];
    const layout = { oldParallelism: 2, oldIndices: [0, 1] };
    expect(redistributeOperatorState(old, 0, 2, layout)).toEqual({ s: { mode: 'split', items: ['a', 'b', 'c'] }, u: { mode: 'union', items: [1, 2] } });
    expect(redistributeOperatorState(old, 1, 2, layout).s!.items).toEqual(['d']);
    // A subtask whose old self had no state gets none, not another subtask's.
    expect(redistributeOperatorState([old[1]!], 0, 2, { oldParallelism: 2, oldIndices: [1] }).s!.items).toEqual([]);
    // A changed parallelism redistributes round-robin as before.
    expect(redistributeOperatorState(old, 0, 3, { oldParallelism: 2, oldIndices: [0, 1] }).s!.items).toEqual(['a', 'd']);
  });
});
