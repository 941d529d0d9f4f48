/**
 * Exactly-once across a JobManager crash: the JobManager is killed with SIGKILL while the job
 * runs and started again with the same configuration; it recovers the job from
 * high-availability.storageDir, the TaskManagers reconnect on their own, and the job finishes
 * with every (key, seq) committed exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, describeCheck, KillableCluster, randomBetween, sleep } from './exactly-once-harness.js';

const RECORDS = 24_000;
const KEYS = 8;

describe('exactly-once with the JobManager killed', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2 });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('resumes the job after a SIGKILLed JobManager restarts and commits every record once', async () => {
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 2500, checkpointIntervalMs: 400, parallelism: 2 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    const deadline = Date.now() + 20_000;
    // Retention keeps one checkpoint on disk: wait until the third one completed.
    while ((cluster.completedCheckpoints(jobId).at(-1) ?? 0) < 3 && Date.now() < deadline) await sleep(50);
    expect(cluster.completedCheckpoints(jobId).at(-1)).toBeGreaterThanOrEqual(3);
    await sleep(randomBetween(50, 400));
    await cluster.jobManager.kill('SIGKILL');
    await sleep(500);
    cluster.startJobManager();
    await cluster.waitForRegistrations(2);
    await cluster.waitForJobState(jobId, 'FINISHED', 50_000);
    expect(cluster.jobManager.stderr()).toMatch(/recover|Recover/);
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
  });
});
