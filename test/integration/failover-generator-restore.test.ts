/**
 * A rate-limited DataGeneratorSource restored from a checkpointed position (the failover case
 * of the exactly-once tests): the rate starts anew at the restore, so the reader neither bursts
 * nor waits on a due time computed from before the failure; isAvailable() always settles and
 * the reader reaches its end with every remaining index read once.
 */
import { describe, expect, it } from 'vitest';
import { DataGeneratorSource, type GeneratorSplit } from '../../src/connectors/data-generator-source.js';

describe('DataGeneratorSource restored with a rate limit', () => {
  it('reads the rest of its splits at the rate, waiting only on promises that settle', async () => {
    const source = new DataGeneratorSource((i: number) => i, 1_000, { ratePerSecond: 2_000 });
    const reader = source.createReader({ subtaskIndex: 1, parallelism: 2, sourceName: 'gen' });
    // Restored: this subtask's own split half read, plus a split handed over from subtask 0.
    const restored: GeneratorSplit[] = [{ next: 801, stride: 2 }, { next: 900, stride: 2 }];
    reader.restoreState(restored);
    await reader.start();
    const got: number[] = [];
    const t0 = Date.now();
    let waits = 0;
    for (;;) {
      const status = reader.pollNext({ collect: (v) => got.push(v) }, 256);
      if (status === 'END_OF_INPUT') break;
      if (status === 'NOTHING_AVAILABLE') {
        waits++;
        const settled = await Promise.race([reader.isAvailable().then(() => true), new Promise((r) => setTimeout(() => r(false), 1_000))]);
        expect(settled).toBe(true);
      }
    }
    const elapsed = Date.now() - t0;
    const expected = [...Array.from({ length: 100 }, (_, i) => 801 + 2 * i), ...Array.from({ length: 50 }, (_, i) => 900 + 2 * i)];
    expect(got).toEqual(expected);
    // 150 records at 1000/s for this subtask: about 150 ms, neither a burst nor a stall.
    expect(waits).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(2_000);
    expect(reader.snapshotState()).toEqual([]);
  });
});
