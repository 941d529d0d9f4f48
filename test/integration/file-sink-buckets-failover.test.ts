/**
 * A FileSink writing into nested buckets stays exactly once through a failover: the job fails
 * once after a checkpoint completed, restores it, and every record is committed exactly once,
 * in the bucket its assigner chose, by both attempts together.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { FileSink, RestartStrategies, RichMapFunction, WatermarkStrategy, type BucketAssigner } from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { newId } from '../../src/core/ids.js';
import { waitFor } from './jobmanager-harness.js';

const RECORDS = 20_000;

/** Passes records on; the first attempt fails at its 2 000th record seen after a completed checkpoint. */
class FailOnceAfterCheckpoint extends RichMapFunction<number, number> {
  private afterCheckpoint = 0;
  private checkpointed = false;
  notifyCheckpointComplete(): void {
    this.checkpointed = true;
  }
  map(i: number): number {
    if (this.checkpointed && ++this.afterCheckpoint === 2_000 && this.getRuntimeContext().attemptNumber === 0) throw new Error('injected failure');
    return i;
  }
}

/** `a=<i mod 3>/b=<i mod 5>`: fifteen nested buckets. */
const byResidue: BucketAssigner<number> = { getBucketId: (i) => `a=${i % 3}/b=${i % 5}` };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('FileSink buckets through a failover', () => {
  it('commits every record exactly once into its bucket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-buckets-failover-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: 2, config: { 'state.checkpoints.dir': join(dir, 'checkpoints') } });
    await cluster.start();
    cleanups.push(() => cluster.stop());
    const client = new JobManagerClient(cluster.jobManagerAddress);
    cleanups.push(() => client.close());

    const out = join(dir, 'out');
    const job = (env: StreamExecutionEnvironment): void => {
      env.setParallelism(2);
      env.enableCheckpointing(100);
      env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
      env
        .fromSource(new DataGeneratorSource((i: number) => i, RECORDS, { ratePerSecond: 10_000 }), WatermarkStrategy.noWatermarks(), 'numbers')
        .map(new FailOnceAfterCheckpoint())
        .sinkTo(FileSink.forRowFormat<number>(out).withBucketAssigner(byResidue));
    };
    const build = () => buildJob(job, []);
    const { jobGraph } = await build();
    const jobId = newId();
    const hash = registerInProcessJob(build, jobId);
    cleanups.push(() => unregisterInProcessJob(hash));
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId });
    await waitFor(async () => (await client.getJob(jobId)).status === 'FINISHED', 60_000, 'job finished');

    const count = new Map<number, number>();
    const misplaced: string[] = [];
    const attempts = new Set<number>();
    const leftovers: string[] = [];
    for (const e of await readdir(out, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const bucket = e.parentPath.slice(out.length + 1);
      if (e.name.startsWith('.')) {
        leftovers.push(join(bucket, e.name));
        continue;
      }
      attempts.add(parseInt(e.name.slice(5 + 9, 5 + 13), 16));
      for (const line of (await readFile(join(e.parentPath, e.name), 'utf8')).split('\n')) {
        if (!line) continue;
        const i = Number(line);
        count.set(i, (count.get(i) ?? 0) + 1);
        if (byResidue.getBucketId(i, null as never) !== bucket) misplaced.push(`${i} in ${bucket}`);
      }
    }
    expect(misplaced.slice(0, 3)).toEqual([]);
    expect(leftovers.slice(0, 3)).toEqual([]);
    expect(count.size).toBe(RECORDS);
    expect([...count].filter(([, n]) => n !== 1).slice(0, 3)).toEqual([]);
    // Both attempts committed output: the second resumed from a checkpoint of the first.
    expect([...attempts].sort()).toEqual([0, 1]);
  }, 90_000);
});
