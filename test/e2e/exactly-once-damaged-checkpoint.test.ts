/**
 * Damaged checkpoints at a failover. With two retained checkpoints, a TaskManager is killed and
 * the state files of the latest completed checkpoint are corrupted before the restart: the
 * restore refuses them (checksums), the JobManager drops that checkpoint and restarts from the
 * previous one, and the FileSink rolls back what it had committed after it — the output stays
 * exactly once. With only one retained checkpoint and that one damaged, the job never starts
 * over silently: it FAILS with one line naming the checkpoint and the damage, unless submitted
 * with `--restoreFromEmptyOnDamage`, which starts from empty state and says so.
 */
import { damageKeyedState } from '../helpers/damage-checkpoint.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, describeCheck, KillableCluster, sleep, type SequenceJobParams } from './exactly-once-harness.js';

const RECORDS = 20_000;
const KEYS = 8;

/** Waits for checkpoint `min`, kills TaskManager 0 and corrupts the keyed state files of the latest checkpoint. */
async function killAndDamageLatest(cluster: KillableCluster, jobId: string, min: number): Promise<number[]> {
  const deadline = Date.now() + 20_000;
  while ((cluster.completedCheckpoints(jobId).at(-1) ?? 0) < min && Date.now() < deadline) await sleep(50);
  await cluster.replaceTaskManager(0);
  // No checkpoint completes without the killed tasks; the restart waits out its delay.
  await sleep(100);
  const ids = cluster.completedCheckpoints(jobId);
  const dir = join(cluster.checkpointsDir, jobId, `chk-${ids.at(-1)!}`);
  expect(damageKeyedState(dir).length).toBeGreaterThan(0);
  return ids;
}

const JOB: SequenceJobParams = { records: RECORDS, keys: KEYS, ratePerSecond: 2500, checkpointIntervalMs: 400, parallelism: 2, restartDelayMs: 600 };

describe('exactly-once with a damaged latest checkpoint', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2, extra: ['-D', 'state.checkpoints.num-retained=2'] });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('falls back to the previous checkpoint and keeps the output exactly once', async () => {
    const jobId = await cluster.submit(JOB);
    await cluster.waitForJobState(jobId, 'RUNNING');
    const [previous, latest] = (await killAndDamageLatest(cluster, jobId, 4)).slice(-2) as [number, number];
    expect(previous).toBeLessThan(latest);
    await cluster.waitForJobState(jobId, 'FINISHED', 50_000);
    expect(cluster.jobManager.stderr()).toMatch(new RegExp(`Checkpoint ${latest} of job ${jobId} cannot be restored: damaged checkpoint \\S+chk-${latest}: .*; falling back to checkpoint ${previous}`));
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
    // Nothing of the job's checkpoints is left once it FINISHED.
    expect(cluster.completedCheckpoints(jobId)).toEqual([]);
  });
});

describe('exactly-once with its only retained checkpoint damaged', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2, extra: ['-D', 'state.checkpoints.num-retained=1'] });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('fails the job with one line naming the checkpoint and the damage instead of starting over', async () => {
    const jobId = await cluster.submit(JOB);
    await cluster.waitForJobState(jobId, 'RUNNING');
    const [only] = await killAndDamageLatest(cluster, jobId, 3);
    await cluster.waitForJobState(jobId, 'FAILED', 50_000);
    const exceptions = await cluster.rest<{ 'root-exception': string }>(`/jobs/${jobId}/exceptions`);
    expect(exceptions?.['root-exception']).toMatch(new RegExp(`^Checkpoint ${only} of job ${jobId} cannot be restored: damaged checkpoint \\S+chk-${only}: state file .*; no earlier checkpoint is retained`));
    // The job did not run again from empty state: nothing of the input was committed twice.
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
  });

  it('with --restoreFromEmptyOnDamage starts from empty state and says so', async () => {
    const jobId = await cluster.submit({ ...JOB, runFlags: ['--restoreFromEmptyOnDamage'] });
    await cluster.waitForJobState(jobId, 'RUNNING');
    const [only] = await killAndDamageLatest(cluster, jobId, 3);
    await cluster.waitForJobState(jobId, 'FINISHED', 50_000);
    expect(cluster.jobManager.stderr()).toContain(`Checkpoint ${only} of job ${jobId} cannot be restored`);
    expect(cluster.jobManager.stderr()).toContain('starting from EMPTY STATE');
    // The FileSink says so too, in the log of the TaskManager running its first subtask.
    expect(cluster.taskManagers.some((tm) => tm.stderr().includes(`FileSink of job ${jobId} restarted WITHOUT STATE`))).toBe(true);
  });
});
