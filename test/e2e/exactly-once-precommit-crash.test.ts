/**
 * A crash between pre-commit and commit: both TaskManagers are frozen (SIGSTOP) the moment the
 * state files of a checkpoint are written — their acknowledgements on the way — so the
 * JobManager completes the checkpoint (`_metadata` appears) while no sink can rename that
 * checkpoint's pending part files; then they are killed with SIGKILL. The restore commits the
 * pending files named in the restored sink state, exactly once.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalTree } from '../helpers/chaos-probes.js';
import { checkOutput, describeCheck, KillableCluster, sleep } from './exactly-once-harness.js';

const RECORDS = 30_000;
const KEYS = 8;
/**
 * State files per checkpoint: source positions, keyed state and sink state of two subtasks each
 * (the keyed state in the job's `shared/` directory, as incremental checkpoints write it).
 */
const STATE_FILES = 6;

/** The state files checkpoint `id` wrote so far: its own directory's and its files in `shared/`. */
function stateFilesOf(jobDir: string, id: number): number {
  const chk = join(jobDir, `chk-${id}`);
  const own = existsSync(chk) ? readdirSync(chk).filter((f) => !f.startsWith('.') && !f.startsWith('_')).length : 0;
  const sharedDir = join(jobDir, 'shared');
  const shared = existsSync(sharedDir) ? readdirSync(sharedDir).filter((f) => f.startsWith(`chk-${id}-`) && !f.startsWith('.')).length : 0;
  return own + shared;
}

describe('exactly-once with a crash between pre-commit and commit', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2 });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('commits the pending files of a checkpoint completed while the sinks were frozen exactly once', async () => {
    const jobId = await cluster.submit({ records: RECORDS, keys: KEYS, ratePerSecond: 2500, checkpointIntervalMs: 300, parallelism: 2 });
    await cluster.waitForJobState(jobId, 'RUNNING');
    const jobDir = join(cluster.checkpointsDir, jobId);
    const deadline = Date.now() + 25_000;
    let caught: number | undefined;
    for (let tries = 0; caught === undefined && Date.now() < deadline; tries++) {
      const next = (cluster.completedCheckpoints(jobId).at(-1) ?? 0) + 1;
      const chk = join(jobDir, `chk-${next}`);
      // Spin until the tasks wrote their state files of `next`, then freeze them at once.
      while (Date.now() < deadline && stateFilesOf(jobDir, next) < STATE_FILES) {
        await new Promise((r) => setImmediate(r));
      }
      // The acknowledgements leave right after the files: freeze 0-7 ms later, varying per try.
      const freezeAt = Date.now() + (tries % 8);
      while (Date.now() < freezeAt) await new Promise((r) => setImmediate(r));
      // The whole process tree: the daemon may run in a child started with its heap limit.
      for (const tm of cluster.taskManagers) signalTree(tm.proc.pid!, 'SIGSTOP');
      await sleep(300);
      // Caught only when the checkpoint completed while its pending files were still hidden.
      if (existsSync(join(chk, '_metadata')) && readdirSync(cluster.outputDir).some((f) => f.startsWith('.part-'))) {
        caught = next;
        break;
      }
      // The acknowledgements had not left yet, or the sinks committed first: go on and try the next checkpoint.
      for (const tm of cluster.taskManagers) signalTree(tm.proc.pid!, 'SIGCONT');
      await sleep(200);
    }
    expect(caught, `no checkpoint completed while the TaskManagers were frozen\n${cluster.logs()}`).toBeDefined();
    const pending = readdirSync(cluster.outputDir).filter((f) => f.startsWith('.part-'));
    expect(pending.length, 'pending part files left uncommitted at the crash').toBeGreaterThan(0);
    for (let i = cluster.taskManagers.length - 1; i >= 0; i--) await cluster.replaceTaskManager(i);
    await cluster.waitForJobState(jobId, 'FINISHED', 50_000);
    // The restart restored the checkpoint completed while frozen (the latest one).
    expect(cluster.jobManager.stderr()).toMatch(new RegExp(`"checkpointId":${caught},"path":"[^"]*chk-${caught}","msg":"restoring job state"`));
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
  });
});
