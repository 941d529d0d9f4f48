/**
 * Checkpoints under backpressure: the keyed stage spends ~1 ms per record, so the generator
 * outruns it and the channels fill up. Barriers still get through — checkpoints complete, the
 * REST history reports non-zero alignment for the tasks with two input channels — and the
 * output is exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, describeCheck, KillableCluster } from './exactly-once-harness.js';

const RECORDS = 10_000;
const KEYS = 8;

interface CheckpointHistory {
  counts: { completed: number; failed: number };
  history: Array<{ id: number; status: string; alignment_buffered?: number; [k: string]: unknown }>;
}

describe('exactly-once checkpoints under backpressure', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2 });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('completes aligned checkpoints with a slow keyed stage and reports alignment time', async () => {
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 4_000, checkpointIntervalMs: 300, parallelism: 2, sinkDelayMs: 1 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    let stats: CheckpointHistory | undefined;
    const deadline = Date.now() + 40_000;
    for (;;) {
      const s = await cluster.rest<CheckpointHistory>(`/jobs/${jobId}/checkpoints`);
      if (s) stats = s;
      const state = await cluster.jobState(jobId);
      if (state === 'FINISHED' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await cluster.jobState(jobId)).toBe('FINISHED');
    expect(stats, 'checkpoint statistics').toBeDefined();
    expect(stats!.counts.completed, JSON.stringify(stats!.counts)).toBeGreaterThanOrEqual(3);
    const alignments = await alignmentOfCompleted(cluster, jobId, stats!);
    expect(Math.max(0, ...alignments), JSON.stringify(alignments)).toBeGreaterThan(0);
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
  });
});

/** Alignment durations (ms) of the keyed stage's subtasks in the completed checkpoints. */
async function alignmentOfCompleted(cluster: KillableCluster, jobId: string, stats: CheckpointHistory): Promise<number[]> {
  const out: number[] = [];
  for (const h of stats.history.filter((x) => x.status === 'COMPLETED')) {
    const detail = await cluster.rest<Record<string, unknown>>(`/jobs/${jobId}/checkpoints/details/${h.id}`);
    out.push(...findAlignment(detail ?? h));
  }
  return out;
}

/** Every `alignment…duration` number in a REST document. */
function findAlignment(doc: unknown): number[] {
  const found: number[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === 'number' && /alignment/.test(key) && /duration|time/.test(key)) found.push(v);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(doc, '');
  return found;
}
