/**
 * Checkpoints under backpressure: the keyed stage spends ~1 ms per record, so the generator
 * outruns it and the channels fill up. Barriers still get through — checkpoints complete, the
 * REST history reports non-zero alignment for the tasks with two input channels — and the
 * output is exactly once. The source is far longer than the test: the test waits (with a
 * deadline) for three completed checkpoints, then stops the job with a savepoint, so nothing
 * depends on how fast this machine is.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, waitFor } from '../helpers/process-cluster.js';
import { checkOutput, describeCheck, KillableCluster } from './exactly-once-harness.js';

const RECORDS = 10_000_000;
const KEYS = 8;

interface CheckpointHistory {
  counts: { completed: number; failed: number };
  history: Array<{ id: number; status: string; alignment_buffered?: number; [k: string]: unknown }>;
}

describe('exactly-once checkpoints under backpressure', () => {
  // One buffer per channel bounds what a barrier waits behind (aligned checkpoints wait for the
  // data ahead of them), and a long heartbeat timeout keeps a loaded machine from failing over.
  const cluster = new KillableCluster({
    taskManagers: 2,
    slots: 2,
    extra: ['-D', 'taskmanager.network.memory.buffers-per-channel=1', '-D', 'heartbeat.timeout=20 s'],
  });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('completes aligned checkpoints with a slow keyed stage and reports alignment time', async () => {
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 4_000, checkpointIntervalMs: 300, parallelism: 2, sinkDelayMs: 1 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    let stats: CheckpointHistory | undefined;
    await waitFor('three completed checkpoints', async () => {
      stats = (await cluster.rest<CheckpointHistory>(`/jobs/${jobId}/checkpoints`)) ?? stats;
      return (stats?.counts.completed ?? 0) >= 3;
    }, 120_000, 250);
    const alignments = await alignmentOfCompleted(cluster, jobId, stats!);
    expect(Math.max(0, ...alignments), JSON.stringify(alignments)).toBeGreaterThan(0);

    const stop = await runCli(['stop', '-m', cluster.address, '-p', join(cluster.checkpointsDir, 'savepoints'), jobId], {}, 120_000);
    expect(stop.code, stop.stderr).toBe(0);
    await cluster.waitForJobState(jobId, 'FINISHED', 60_000);
    // The source stopped part-way: every key holds a prefix of its sequence, each element once.
    const check = checkOutput(cluster.outputDir, 0, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBeGreaterThan(0);
  }, 300_000);
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
