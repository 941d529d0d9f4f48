/**
 * A failover redeploys onto the same TaskManager without fetching the job's bundle again: the
 * next attempt arrives moments after the last task of the previous one ended, and finds the
 * bundle still loaded (fetching and evaluating it again would sit on the recovery's critical
 * path). The job's files of the ended attempt are gone afterwards all the same.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { Dispatcher } from '../../src/cluster/jobmanager/dispatcher.js';
import { bundleJobFile, loadJobBundle } from '../../src/cluster/job-bundle.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';

describe('TaskManager failover', () => {
  it('runs the restarted attempt with the bundle it already loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-tm-failover-'));
    const out = join(dir, 'out.txt');
    const marker = join(dir, 'failed-once');
    const file = join(dir, 'job.ts');
    writeFileSync(
      file,
      `import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { RestartStrategies } from 'fluss';
export default (env, [out, marker]: string[]) => {
  env.setParallelism(1);
  env.setRestartStrategy(RestartStrategies.fixedDelay(3, 50));
  env.fromSequence(1, 20).map((x: number) => {
    // The first attempt fails once: the job restarts on the same (only) TaskManager.
    if (x === 10 && !existsSync(marker)) { writeFileSync(marker, ''); throw new Error('failing once'); }
    return x;
  }).addSink({ invoke(v: number) { appendFileSync(out, v + '\\n'); } });
};
`,
    );
    const tmp = join(dir, 'tm-tmp');
    const fetches = vi.spyOn(Dispatcher.prototype, 'fetchBundle');
    const cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: 1, config: { 'io.tmp.dirs': tmp } });
    await cluster.start();
    const client = new JobManagerClient(cluster.jobManagerAddress);
    try {
      const bundle = await bundleJobFile(file);
      const built = await buildJob(loadJobBundle(bundle.code, file), [out, marker]);
      const jobId = await client.submitJob({ bundle: bundle.code, jobGraph: built.jobGraph, programArgs: [out, marker] });
      const info = await client.watchJob(jobId);
      expect(info.failureCause).toBe('');
      expect(info.status).toBe('FINISHED');
      expect(existsSync(marker)).toBe(true);
      expect(readFileSync(out, 'utf8').trim().split('\n').map(Number)).toContain(20);
      expect(fetches).toHaveBeenCalledTimes(1);
      // The ended attempts' files still go.
      const leftovers = (): string[] => readdirSync(tmp).flatMap((tmDir) => readdirSync(join(tmp, tmDir)).filter((e) => e.startsWith('job-')));
      const deadline = Date.now() + 10_000;
      while (leftovers().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(leftovers()).toEqual([]);
    } finally {
      fetches.mockRestore();
      client.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
