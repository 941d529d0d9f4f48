/**
 * A bounded job with checkpointing ends with a final checkpoint (FLIP-147). The JobManager
 * triggers it as soon as every source reported the end of its input, not one interval later:
 * with a 10-minute interval the job must finish within the test's deadline, and its output is
 * complete.
 */
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { WatermarkStrategy } from '../../src/api/index.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';

describe('bounded jobs with checkpointing', () => {
  it('take their final checkpoint as soon as every source ended, not one interval later', async () => {
    const env = new StreamExecutionEnvironment();
    env.setParallelism(2);
    env.enableCheckpointing(600_000);
    const started = Date.now();
    const out = await env
      .fromSource(new DataGeneratorSource((i: number) => i, 10_000), WatermarkStrategy.noWatermarks(), 'numbers')
      .map((i: number) => [i % 7, i] as [number, number])
      .keyBy((kv: [number, number]) => kv[0])
      .reduce((a: [number, number], b: [number, number]) => [a[0], a[1] + b[1]] as [number, number])
      .executeAndCollect('bounded with a long checkpoint interval');
    // Far less than the 10-minute interval (the test's own deadline is 60 s).
    expect(Date.now() - started).toBeLessThan(600_000);
    const finals = new Map<number, number>();
    for (const [k, sum] of out) finals.set(k, Math.max(finals.get(k) ?? 0, sum));
    let total = 0;
    for (let i = 0; i < 10_000; i++) total += i;
    expect(out).toHaveLength(10_000);
    expect([...finals.values()].reduce((a, b) => a + b, 0)).toBe(total);
  }, 60_000);
});
