/**
 * Task-local recovery with real processes: one TaskManager runs every subtask, so a failover
 * restarts them on it. A user function that throws once (a marker file asks it to) makes the
 * job restart; every subtask restores from the TaskManager's local copy of the checkpoint
 * (`localRecoveryHits` on the JobManager's /metrics, the INFO line in the TaskManager's log).
 * With the local copies removed before the next failure, the restore falls back to the
 * checkpoint directory. The output is exactly once throughout, and the job's local state is
 * gone once it finished.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/process-cluster.js';
import { checkOutput, describeCheck, KillableCluster, SEQUENCE_JOB, sleep } from './exactly-once-harness.js';

const KEYS = 2000;

/** The sequence job, whose check function throws once whenever the marker file (last argument) appears. */
const FAILING_JOB = SEQUENCE_JOB.replace("} from 'fluss';", "} from 'fluss';\nimport { existsSync, unlinkSync } from 'node:fs';\nlet marker = '';\nlet seen = 0;")
  .replace('    const last = this.last.value() ?? -1;', `    if (++seen % 50 === 0 && existsSync(marker)) {
      let mine = true;
      try { unlinkSync(marker); } catch { mine = false; }
      if (mine) throw new Error('injected failure');
    }
    const last = this.last.value() ?? -1;`)
  .replace('[output, n, k, rate, interval, parallelism, delay, restartDelay]) => {', '[output, n, k, rate, interval, parallelism, delay, restartDelay, markerFile]) => {\n  marker = markerFile;');

/** Sum of a task metric over the job's subtasks (latest attempts), from the JobManager's /metrics. */
async function metricSum(cluster: KillableCluster, jobId: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${cluster.restPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(`fluss_taskmanager_job_task_${name}{`) && line.includes(jobId)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    return sum;
  } catch {
    return -1;
  }
}

/** Lines of the TaskManager's log matching `re`. */
function logCount(cluster: KillableCluster, re: RegExp): number {
  return cluster.taskManagers[0]!.stderr().split('\n').filter((l) => re.test(l)).length;
}

/** The TaskManager's local state directory of the job (one TaskManager). */
function localJobDirs(cluster: KillableCluster, jobId: string): string[] {
  const tmp = join(cluster.workDir, 'tmp');
  if (!existsSync(tmp)) return [];
  return readdirSync(tmp).filter((d) => d.startsWith('taskmanager-')).map((d) => join(tmp, d, 'local-state', jobId));
}

describe('task-local recovery', () => {
  const clusters: KillableCluster[] = [];
  afterAll(async () => {
    for (const c of clusters) await c.stop();
  });

  it('a failed task restarted on the same TaskManager restores from local state; without it, from the checkpoint; exactly once', async () => {
    const cluster = new KillableCluster({ taskManagers: 1, slots: 2, extra: ['-D', 'state.backend.local-recovery=true', '-D', 'state.checkpoints.num-retained=1'] });
    clusters.push(cluster);
    await cluster.start();
    const marker = join(cluster.workDir, 'fail-now');
    const records = 60_000;
    const jobId = await cluster.submit({ records, keys: KEYS, ratePerSecond: 2500, checkpointIntervalMs: 200, parallelism: 2, restartDelayMs: 300, jobSource: FAILING_JOB, extraArgs: [marker] });
    await cluster.waitForJobState(jobId, 'RUNNING');
    await waitFor('three checkpoints', () => (cluster.completedCheckpoints(jobId).at(-1) ?? 0) >= 3, 60_000);
    // Local copies are kept for confirmed checkpoints.
    await waitFor('local copies of the job', () => localJobDirs(cluster, jobId).some((d) => existsSync(d) && readdirSync(d).length === 4), 30_000);

    // 1) Fail once: the four subtasks (two sources, two check+sink) restore from local state.
    writeFileSync(marker, '');
    await waitFor('the restart to restore from local state', () => logCount(cluster, /from local state of checkpoint \d+/) >= 4, 60_000);
    expect(logCount(cluster, /not local state/)).toBe(0);
    await waitFor('localRecoveryHits on /metrics', async () => (await metricSum(cluster, jobId, 'localRecoveryHits')) === 4, 30_000);
    await cluster.waitForJobState(jobId, 'RUNNING');
    const after = cluster.completedCheckpoints(jobId).at(-1) ?? 0;
    await waitFor('a checkpoint after the restart', () => (cluster.completedCheckpoints(jobId).at(-1) ?? 0) > after, 60_000);

    // 2) Remove the local copies (again and again, in case a checkpoint completes meanwhile) and fail again.
    let removing = true;
    const remover = (async () => {
      while (removing) {
        for (const d of localJobDirs(cluster, jobId)) {
          for (const s of existsSync(d) ? readdirSync(d) : []) {
            try {
              rmSync(join(d, s), { recursive: true, force: true });
            } catch {
              // The TaskManager wrote a new copy into it meanwhile: removed on the next round.
            }
          }
        }
        await sleep(5);
      }
    })();
    writeFileSync(marker, '');
    try {
      await waitFor('the restart to fall back to the checkpoint directory', () => logCount(cluster, /not local state/) >= 1, 60_000);
    } finally {
      removing = false;
      await remover;
    }
    await waitFor('localRecoveryMisses on /metrics', async () => (await metricSum(cluster, jobId, 'localRecoveryMisses')) >= 1, 30_000);

    await cluster.waitForJobState(jobId, 'FINISHED', 120_000);
    const check = checkOutput(cluster.outputDir, records, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(records);
    // Finished subtasks keep no local state.
    await waitFor('the job\'s local state to be removed', () => localJobDirs(cluster, jobId).every((d) => !existsSync(d) || readdirSync(d).length === 0), 30_000);
  });

  it('a cancelled job\'s local state is removed from the TaskManager', async () => {
    const cluster = new KillableCluster({ taskManagers: 1, slots: 2, extra: ['-D', 'state.backend.local-recovery=true'] });
    clusters.push(cluster);
    await cluster.start();
    const jobId = await cluster.submit({ records: Number.MAX_SAFE_INTEGER, keys: KEYS, ratePerSecond: 2000, checkpointIntervalMs: 200, parallelism: 2 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    await waitFor('local copies of the job', () => localJobDirs(cluster, jobId).some((d) => existsSync(d) && readdirSync(d).length === 4), 60_000);
    await cluster.cancel(jobId);
    await cluster.waitForJobState(jobId, 'CANCELED');
    // The TaskManager learns from a heartbeat answer that the job ended.
    await waitFor('the cancelled job\'s local state to be removed', () => localJobDirs(cluster, jobId).every((d) => !existsSync(d)), 30_000);
  });
});
