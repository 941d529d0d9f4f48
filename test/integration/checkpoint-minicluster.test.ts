import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { WatermarkStrategy } from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import type { CheckpointMetadata } from '../../src/checkpoint/checkpoint-types.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { newId } from '../../src/core/ids.js';
import { waitFor } from './jobmanager-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A keyed running count over generated numbers, checkpointed every 200 ms. */
function counting(env: StreamExecutionEnvironment): void {
  env.setParallelism(2);
  env.enableCheckpointing(200);
  env
    .fromSource(new DataGeneratorSource((i: number) => i, Number.MAX_SAFE_INTEGER, { ratePerSecond: 2_000 }), WatermarkStrategy.noWatermarks(), 'numbers')
    .uid('numbers')
    .keyBy((i: number) => i % 10)
    .reduce((a: number, b: number) => a + b)
    .uid('sum')
    .addSink(() => {});
}

async function submit(cluster: MiniCluster, client: JobManagerClient, restorePath?: string): Promise<string> {
  const build = () => buildJob(counting, []);
  const { jobGraph } = await build();
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  cleanups.push(() => unregisterInProcessJob(hash));
  await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId, restorePath });
  return jobId;
}

describe('checkpoints on a MiniCluster (real TaskManagers)', () => {
  it('completes periodic checkpoints with _metadata, takes a savepoint, and restores a new job from it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-cp-mini-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const cluster = new MiniCluster({
      numTaskManagers: 2,
      config: { 'state.checkpoints.dir': join(dir, 'checkpoints'), 'state.savepoints.dir': join(dir, 'savepoints'), 'state.backend.type': 'memory' },
    });
    await cluster.start();
    cleanups.push(() => cluster.stop());
    const client = new JobManagerClient(cluster.jobManagerAddress);
    cleanups.push(() => client.close());

    const jobId = await submit(cluster, client);
    const jobDir = join(dir, 'checkpoints', jobId);
    const completed = async (): Promise<string[]> => {
      const names = await readdir(jobDir).catch(() => [] as string[]);
      const out: string[] = [];
      for (const n of names) if ((await readdir(join(jobDir, n)).catch(() => [] as string[])).includes('_metadata')) out.push(n);
      return out;
    };
    await waitFor(async () => (await completed()).length > 0, 15_000, 'a completed checkpoint');
    const [chk] = await completed();
    const md = JSON.parse(await readFile(join(jobDir, chk!, '_metadata'), 'utf8')) as CheckpointMetadata;
    expect(md.jobId).toBe(jobId);
    expect(md.operators.some((o) => o.subtasks.some((s) => s.keyed !== undefined))).toBe(true);

    const savepoint = await client.triggerSavepoint({ jobId, cancel: true });
    expect(savepoint).toMatch(new RegExp(`savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
    const sp = JSON.parse(await readFile(join(savepoint, '_metadata'), 'utf8')) as CheckpointMetadata;
    expect(sp.savepoint).toBe(true);
    await waitFor(async () => (await client.getJob(jobId)).status === 'CANCELED', 10_000, 'cancelled after the savepoint');

    const resumed = await submit(cluster, client, savepoint);
    await waitFor(async () => (await client.getJob(resumed)).vertices.every((v) => v.status === 'RUNNING'), 10_000, 'restored job running');
    const res = await fetch(`http://${cluster.restAddress}/jobs/${resumed}/checkpoints`);
    const stats = (await res.json()) as { latest: { restored: { id: number; external_path: string; is_savepoint: boolean } | null } };
    expect(stats.latest.restored).toMatchObject({ id: sp.checkpointId, external_path: savepoint, is_savepoint: true });
    await client.cancelJob(resumed);
  }, 40_000);
});
