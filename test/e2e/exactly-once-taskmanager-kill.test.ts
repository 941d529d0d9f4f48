/**
 * Exactly-once under TaskManager crashes: TaskManager processes are killed with SIGKILL three
 * times at random moments and replaced by fresh ones; the job recovers from its latest
 * completed checkpoint each time and finishes with every (key, seq) committed exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, describeCheck, KillableCluster, randomBetween, sleep } from './exactly-once-harness.js';

const RECORDS = 36_000;
const KEYS = 8;

describe('exactly-once with TaskManagers killed', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2 });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('recovers from SIGKILLed TaskManagers three times and commits every record once', async () => {
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 2500, checkpointIntervalMs: 400, parallelism: 2 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    let lastCheckpoint = 0;
    for (let kill = 0; kill < 3; kill++) {
      // A checkpoint completes after the previous recovery, then a kill at a random moment.
      await waitForNewCheckpoint(cluster, jobId, lastCheckpoint);
      await sleep(randomBetween(50, 400));
      lastCheckpoint = cluster.completedCheckpoints(jobId).at(-1) ?? 0;
      await cluster.replaceTaskManager(randomBetween(0, cluster.taskManagers.length));
      await cluster.waitForJobState(jobId, 'RUNNING');
    }
    await cluster.waitForJobState(jobId, 'FINISHED', 50_000);
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
  });
});

async function waitForNewCheckpoint(cluster: KillableCluster, jobId: string, after: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((cluster.completedCheckpoints(jobId).at(-1) ?? 0) <= after) {
    if (Date.now() > deadline) throw new Error(`no checkpoint after ${after}\n${cluster.logs()}`);
    await sleep(50);
  }
}
