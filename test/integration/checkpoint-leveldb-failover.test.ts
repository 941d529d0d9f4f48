/**
 * Exactly-once through a failover with keyed state that lives mostly in LevelDB: a cache far
 * smaller than the state keeps evicting and flushing, so every checkpoint holds part of the state
 * as LevelDB's records and part as the cache's unwritten changes. The job fails once mid-way,
 * restores from its latest checkpoint and must emit, per key, the counts 1..n exactly once.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import {
  FileSink,
  KeyedProcessFunction,
  RestartStrategies,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type ValueState,
} from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { newId } from '../../src/core/ids.js';
import { waitFor } from './jobmanager-harness.js';

const KEYS = 3_000;
const PER_KEY = 40;
const RECORDS = KEYS * PER_KEY;

/**
 * Counts per key. The first attempt fails at the first record of a key past half its records
 * that it sees after a checkpoint completed, so a restore always has a checkpoint of the first
 * attempt to start from, however fast or slow the machine is.
 */
class CountThenFailOnce extends KeyedProcessFunction<number, number, string> {
  private count!: ValueState<number>;
  private checkpointed = false;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
  }
  notifyCheckpointComplete(): void {
    this.checkpointed = true;
  }
  processElement(_i: number, ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    const key = ctx.getCurrentKey();
    const n = (this.count.value() ?? 0) + 1;
    if (this.checkpointed && n > PER_KEY / 2 && this.getRuntimeContext().attemptNumber === 0) throw new Error('injected failure');
    this.count.update(n);
    out.collect(`${key},${n}`);
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('LevelDB checkpoints through a failover', () => {
  it('restores state split between LevelDB and the cache, and every (key, count) is committed exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-leveldb-failover-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const cluster = new MiniCluster({
      numTaskManagers: 2,
      slotsPerTaskManager: 1,
      // About a hundred cached entries for 3 000 keys: most state is in LevelDB at any time.
      config: { 'state.checkpoints.dir': join(dir, 'checkpoints'), 'state.backend.type': 'leveldb', 'state.backend.leveldb.cache.size': '32kb' },
    });
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
        .fromSource(new DataGeneratorSource((i: number) => i, RECORDS, { ratePerSecond: 20_000 }), WatermarkStrategy.noWatermarks(), 'numbers')
        .keyBy((i: number) => i % KEYS)
        .process(new CountThenFailOnce())
        .uid('count')
        .sinkTo(FileSink.forRowFormat(out));
    };
    const build = () => buildJob(job, []);
    const { jobGraph } = await build();
    const jobId = newId();
    const hash = registerInProcessJob(build, jobId);
    cleanups.push(() => unregisterInProcessJob(hash));
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId });
    await waitFor(async () => (await client.getJob(jobId)).status === 'FINISHED', 30_000, 'job finished');
    const seen = new Map<number, number[]>();
    const attempts = new Set<number>();
    for (const name of await readdir(out)) {
      if (name.startsWith('.')) continue;
      // part-<writer uuid>-…: the uuid's second group is the attempt that wrote the file.
      attempts.add(parseInt(name.slice(5 + 9, 5 + 13), 16));
      for (const line of (await readFile(join(out, name), 'utf8')).split('\n')) {
        if (!line) continue;
        const [key, n] = line.split(',').map(Number) as [number, number];
        let counts = seen.get(key);
        if (!counts) seen.set(key, (counts = []));
        counts.push(n);
      }
    }
    expect(seen.size).toBe(KEYS);
    const expected = Array.from({ length: PER_KEY }, (_, i) => i + 1);
    const wrong = [...seen].filter(([, counts]) => counts.sort((a, b) => a - b).join() !== expected.join());
    expect(wrong.slice(0, 3)).toEqual([]);
    // Both attempts committed output: the second resumed from a checkpoint of the first.
    expect([...attempts].sort()).toEqual([0, 1]);
  }, 60_000);
});
