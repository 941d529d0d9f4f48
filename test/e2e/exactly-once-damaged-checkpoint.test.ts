/**
 * A damaged checkpoint is refused and the previous one is used: with two retained checkpoints,
 * a TaskManager is killed and the state files of the latest completed checkpoint are corrupted
 * before the restart. The restore refuses them (checksums), the JobManager drops that
 * checkpoint and restarts from the previous one, and the FileSink rolls back what it had
 * committed after it: the output stays exactly once.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, describeCheck, KillableCluster, sleep } from './exactly-once-harness.js';

const RECORDS = 20_000;
const KEYS = 8;

describe('exactly-once with a damaged latest checkpoint', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2, extra: ['-D', 'state.checkpoints.num-retained=2'] });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('falls back to the previous checkpoint and keeps the output exactly once', async () => {
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 2500, checkpointIntervalMs: 400, parallelism: 2, restartDelayMs: 600 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    const deadline = Date.now() + 20_000;
    while ((cluster.completedCheckpoints(jobId).at(-1) ?? 0) < 4 && Date.now() < deadline) await sleep(50);
    await cluster.replaceTaskManager(0);
    // No checkpoint completes without the killed tasks; the restart waits out its delay.
    await sleep(100);
    const [previous, latest] = cluster.completedCheckpoints(jobId).slice(-2) as [number, number];
    expect(previous).toBeLessThan(latest);
    const dir = join(cluster.checkpointsDir, jobId, `chk-${latest}`);
    const keyed = readdirSync(dir).filter((f) => f.endsWith('-keyed'));
    expect(keyed.length).toBeGreaterThan(0);
    for (const f of keyed) {
      const bytes = readFileSync(join(dir, f));
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(join(dir, f), bytes);
    }
    await cluster.waitForJobState(jobId, 'FINISHED', 50_000);
    expect(cluster.jobManager.stderr()).toContain(`checkpoint ${latest} is damaged; falling back to checkpoint ${previous}`);
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
  });
});
