import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { buildJob, type JobBuilder } from '../../src/api/build-job.js';
import { executeLocally } from '../../src/cluster/local-executor.js';

/** Builds `builder` through the same path the CLI uses. */
function builds(builder: JobBuilder): () => ReturnType<typeof buildJob> {
  return () => buildJob(builder, []);
}

describe('MiniCluster + TaskManager', () => {
  it('runs a job to completion and every subtask gets its own function instances', async () => {
    const seen: number[] = [];
    const instances = new Set<object>();
    await executeLocally(
      builds((env) => {
        env.setParallelism(2);
        const sink = {
          invoke(value: number) {
            instances.add(sink);
            seen.push(value);
          },
        };
        env.fromSequence(1, 100).map((x: number) => x * 2).rebalance().addSink(sink);
      }),
      { jobName: 'double' },
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 2));
    expect(instances.size).toBe(2);
  });

  it('executeAndCollect returns the output of the job', async () => {
    const env = new StreamExecutionEnvironment();
    const out = await env.fromElements(1, 2, 3).map((x: number) => x + 1).executeAndCollect();
    expect(out.sort()).toEqual([2, 3, 4]);
  });

  it('fails the job naming the operator when a user function throws', async () => {
    const run = executeLocally(
      builds((env) => {
        env.fromElements(1, 2, 3)
          .map((x: number) => {
            if (x === 2) throw new RangeError('two is not allowed');
            return x;
          })
          .name('Picky')
          .addSink(() => {});
      }),
    );
    await expect(run).rejects.toThrow(/Picky.*RangeError: two is not allowed/);
  });

  it('fails the job when the builder is not deterministic', async () => {
    let calls = 0;
    const run = executeLocally(
      builds((env) => {
        calls++;
        const s = env.fromElements(1, 2, 3);
        (calls === 1 ? s.map((x: number) => x) : s.filter(() => true)).addSink(() => {});
      }),
    );
    await expect(run).rejects.toThrow(
      /The job builder is not deterministic: the graph built on the TaskManager differs from the submitted one \(fingerprint [0-9a-f]+ ≠ [0-9a-f]+\)/,
    );
  });
});

describe('TaskManager with real bundles', () => {
  it('fetches the bundle, runs every subtask, and removes bundle and job files when the job ends', async () => {
    const { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { bundleJobFile, loadJobBundle } = await import('../../src/cluster/job-bundle.js');
    const { MiniCluster } = await import('../../src/cluster/mini-cluster.js');
    const { JobManagerClient } = await import('../../src/cluster/rpc/job-manager-client.js');

    const dir = mkdtempSync(join(tmpdir(), 'fluss-tm-bundle-'));
    const out = join(dir, 'out.txt');
    const file = join(dir, 'job.ts');
    writeFileSync(
      file,
      `import { appendFileSync } from 'node:fs';
export default (env, args: string[]) => {
  env.setParallelism(2);
  env.fromSequence(1, 10).map((x: number) => x * 3).addSink({ invoke(v: number) { appendFileSync(args[0]!, v + '\\n'); } });
};
`,
    );
    const tmp = join(dir, 'tm-tmp');
    const cluster = new MiniCluster({ numTaskManagers: 2, slotsPerTaskManager: 1, config: { 'io.tmp.dirs': tmp } });
    await cluster.start();
    const client = new JobManagerClient(cluster.jobManagerAddress);
    try {
      const bundle = await bundleJobFile(file);
      const built = await buildJob(loadJobBundle(bundle.code, file), [out]);
      const jobId = await client.submitJob({ bundle: bundle.code, jobGraph: built.jobGraph, programArgs: [out] });
      const info = await client.watchJob(jobId);
      expect(info.failureCause).toBe('');
      expect(info.status).toBe('FINISHED');
      const values = readFileSync(out, 'utf8').trim().split('\n').map(Number).sort((a, b) => a - b);
      expect(values).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);

      // Each TaskManager cleans up once its last task of the job ended.
      const leftovers = (): string[] =>
        readdirSync(tmp).flatMap((tmDir) => {
          const entries = readdirSync(join(tmp, tmDir));
          const bundles = entries.includes('bundles') ? readdirSync(join(tmp, tmDir, 'bundles')) : [];
          return [...entries.filter((e) => e.startsWith('job-')), ...bundles];
        });
      const deadline = Date.now() + 5000;
      while (leftovers().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(leftovers()).toEqual([]);
      expect(readdirSync(tmp)).toHaveLength(2);
    } finally {
      client.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
