/**
 * Unaligned checkpoints under backpressure with failovers: the keyed stage spends ~1 ms per
 * record behind a faster generator, so every channel is full; with
 * `execution.checkpointing.unaligned.enabled` the barriers overtake the queued records, which
 * go into the checkpoints as channel state (the REST history shows checkpoints holding
 * in-flight data). A TaskManager is SIGKILLed twice, each time after a checkpoint with channel
 * state completed, and the job restores from it, replaying that state first. The output is
 * exactly once. A checkpoint holding channel state is then refused, in one line, for a job at
 * another parallelism (the failovers showed it is accepted at the same one).
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/process-cluster.js';
import { checkOutput, describeCheck, KillableCluster, randomBetween, sleep, SEQUENCE_JOB } from './exactly-once-harness.js';

const RECORDS = 24_000;
const KEYS = 8;

interface Metadata {
  operators: Array<{ operatorId: string; parallelism: number; subtasks: Array<{ channelState?: { path: string; size: number } }> }>;
}

/** Completed checkpoints of the job whose `_metadata` names channel state. */
function checkpointsWithChannelState(cluster: KillableCluster, jobId: string): number[] {
  return cluster.completedCheckpoints(jobId).filter((id) => {
    const file = join(cluster.checkpointsDir, jobId, `chk-${id}`, '_metadata');
    if (!existsSync(file)) return false;
    try {
      const m = JSON.parse(readFileSync(file, 'utf8')) as Metadata;
      return m.operators.some((o) => o.subtasks.some((s) => (s.channelState?.size ?? 0) > 0));
    } catch {
      return false;
    }
  });
}

async function waitForChannelStateCheckpoint(cluster: KillableCluster, jobId: string, after: number): Promise<number> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const found = checkpointsWithChannelState(cluster, jobId).filter((id) => id > after);
    if (found.length > 0) return found.at(-1)!;
    if (Date.now() > deadline) throw new Error(`no checkpoint with channel state after ${after}\n${cluster.logs()}`);
    await sleep(100);
  }
}

describe('unaligned checkpoints under backpressure with failovers', () => {
  const cluster = new KillableCluster({
    taskManagers: 2,
    slots: 2,
    extra: ['-D', 'execution.checkpointing.unaligned.enabled=true', '-D', 'heartbeat.timeout=20 s', '-D', 'state.checkpoints.num-retained=10'],
  });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('stores in-flight records, restores them after SIGKILLs and commits every record once', async () => {
    // Inside the checkpoint directory: restore paths must lie below the configured directories.
    const kept = join(cluster.checkpointsDir, 'kept-checkpoint');
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 4_000, checkpointIntervalMs: 300, parallelism: 2, sinkDelayMs: 1 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    let last = 0;
    for (let kill = 0; kill < 2; kill++) {
      last = await waitForChannelStateCheckpoint(cluster, jobId, last);
      // Kept for the rescale check below: a finished job's checkpoints are deleted.
      if (kill === 0) cpSync(join(cluster.checkpointsDir, jobId, `chk-${last}`), kept, { recursive: true });
      await sleep(randomBetween(20, 200));
      await cluster.replaceTaskManager(randomBetween(0, cluster.taskManagers.length));
      await cluster.waitForJobState(jobId, 'RUNNING', 60_000);
    }
    await cluster.waitForJobState(jobId, 'FINISHED', 180_000);
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
    // The failovers restored in-flight data.
    expect(cluster.taskManagers.some((t) => /Restoring in-flight data of an unaligned checkpoint/.test(t.stderr()))).toBe(true);

    // Restoring such a checkpoint at another parallelism is refused in one line; at the same one it runs.
    const jobFile = join(cluster.workDir, 'sequence-job.ts');
    writeFileSync(jobFile, SEQUENCE_JOB);
    const args = (parallelism: number, out: string) => [
      'run', '-d', '-m', cluster.address, '-s', kept, jobFile, out, String(RECORDS), String(KEYS), '4000', '300', String(parallelism), '1', '100',
    ];
    const refused = await runCli(args(1, join(cluster.workDir, 'out-p1')));
    expect(refused.code, refused.stderr).not.toBe(0);
    expect(refused.stderr.trim().split('\n').filter((l) => /unaligned checkpoint/.test(l))).toHaveLength(1);
    expect(refused.stderr, refused.stderr).toMatch(/parallelism changed from 2 to 1/);
  }, 400_000);
});
