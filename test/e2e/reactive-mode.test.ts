/**
 * Reactive mode on a real cluster (`scheduler-mode: reactive`; a JobManager and TaskManager
 * processes from bin/fluss, one slot each): a keyed, checkpointed job on LevelDB writing
 * through the exactly-once FileSink starts on 2 TaskManagers at parallelism 2; two more
 * TaskManager processes start → it runs at parallelism 4; one of them is SIGKILLed → it runs
 * at 3. Stopped with a savepoint, its committed output is exactly once (per key every sequence
 * number once, no gap) and the keyed sequence check never alerts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, freePort, type ProcessCluster, runCli, startDaemon, startProcessCluster, waitFor } from '../helpers/process-cluster.js';
import { committedLines, expectExactlyOnce, SEQUENCE_JOB } from './rescale-harness.js';

interface RestVertex {
  parallelism: number;
  status: string;
  tasks: Record<string, number>;
}

describe('reactive mode (process cluster)', () => {
  let cluster: ProcessCluster;
  let dir: string;
  let rest: string;
  const extra: Daemon[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluss-reactive-'));
    const restPort = await freePort();
    rest = `http://127.0.0.1:${restPort}`;
    cluster = await startProcessCluster({
      taskManagers: 2,
      slots: 1,
      extra: [
        '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`,
        '-D', `state.savepoints.dir=${join(dir, 'savepoints')}`,
        '-D', `rest.port=${restPort}`,
        '-D', 'scheduler-mode=reactive',
        '-D', 'jobmanager.adaptive-scheduler.resource-stabilization-timeout=1 s',
        '-D', 'jobmanager.adaptive-scheduler.scaling-interval.min=1 s',
      ],
    });
    writeFileSync(join(dir, 'job.ts'), SEQUENCE_JOB);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(extra.map((d) => d.kill('SIGKILL')));
    await cluster?.stop();
  });

  it('follows the TaskManagers 2 → 4 → 3 and stays exactly once', async () => {
    const out = join(dir, 'out');
    const run = await runCli(['run', '-m', cluster.address, '-d', join(dir, 'job.ts'), out]);
    expect(run.stderr).toBe('');
    const jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)![1]!;
    const vertices = async (): Promise<RestVertex[]> => ((await (await fetch(`${rest}/jobs/${jobId}`)).json()) as { vertices: RestVertex[] }).vertices;
    const runsAt = (p: number) => async (): Promise<boolean> => {
      const vs = await vertices();
      // Every subtask RUNNING (a vertex's status is RUNNING as soon as one of them is).
      return vs.every((v) => v.parallelism === p && v.tasks['RUNNING'] === p);
    };
    const moreLines = async (n: number): Promise<void> => {
      const target = committedLines(out).length + n;
      await waitFor(`${target} committed lines`, () => committedLines(out).length >= target, 90_000, 200);
    };
    await waitFor('parallelism 2', runsAt(2), 60_000, 200);
    await moreLines(1_000);

    const port = cluster.address.slice(cluster.address.lastIndexOf(':') + 1);
    for (let i = 0; i < 2; i++) {
      extra.push(
        startDaemon([
          'taskmanager',
          '-D', `jobmanager.rpc.port=${port}`,
          '-D', 'jobmanager.rpc.address=127.0.0.1',
          '-D', `io.tmp.dirs=${join(cluster.workDir, 'tmp')}`,
          '-D', 'heartbeat.interval=500 ms',
          '-D', 'heartbeat.timeout=3 s',
          '-D', 'taskmanager.numberOfTaskSlots=1',
        ]),
      );
    }
    await waitFor('parallelism 4', runsAt(4), 90_000, 200).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; JobManager log:\n${cluster.jobManager.stderr().split('\n').filter((l) => /rescal|Adaptive|registered|restart|waiting/i.test(l)).slice(-30).join('\n')}`);
    });
    await moreLines(1_000);

    await extra[0]!.kill('SIGKILL');
    // No speed assertion: the cost of a lost TaskManager is measured by `npm run bench -- rescale`.
    await waitFor('parallelism 3', runsAt(3), 120_000, 100);
    await moreLines(1_000);

    const stop = await runCli(['stop', '-m', cluster.address, '-p', join(dir, 'savepoints'), jobId], {}, 120_000);
    expect(stop.code).toBe(0);
    expectExactlyOnce(out);
  }, 300_000);
});
