/**
 * Exactly-once through a failover with Flink's CheckpointedFunction source example: a
 * RichParallelSourceFunction keeping its offset in operator ListState (taken with
 * `getOperatorStateStore().getListState(descriptor)`), collecting and advancing the offset in one
 * synchronous step (Flink's `synchronized (ctx.getCheckpointLock())`). A slow map chained to
 * the source keeps the source's buffer filled when checkpoints are taken. Once three
 * checkpoints completed, the first attempt's source emits a poison record that fails the job;
 * it restores from the latest checkpoint, and every number must be committed exactly once by the
 * FileSink: records the source had buffered at a checkpoint went out before its barrier, and
 * its offset counted them.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import {
  FileSink,
  ListStateDescriptor,
  RestartStrategies,
  RichParallelSourceFunction,
  type CheckpointedFunction,
  type CheckpointListener,
  type FunctionInitializationContext,
  type FunctionSnapshotContext,
  type ListState,
  type SourceContext,
} from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { newId } from '../../src/core/ids.js';
import { waitFor } from './jobmanager-harness.js';

const PER_SUBTASK = 20_000;
const PARALLELISM = 2;

/** What the subtasks saw, across attempts (the mini-cluster runs in this process). */
const starts: { attempt: number; subtask: number; offset: number }[] = [];

/** Flink's CounterSource example, ported. */
class CounterSource extends RichParallelSourceFunction<number> implements CheckpointedFunction, CheckpointListener {
  private offset = 0;
  private running = true;
  private state!: ListState<number>;
  private completed = 0;
  private poison = false;
  private poisoned: (() => void) | undefined;

  async run(ctx: SourceContext<number>): Promise<void> {
    const rc = this.getRuntimeContext();
    const me = rc.getIndexOfThisSubtask();
    const n = rc.getNumberOfParallelSubtasks();
    starts.push({ attempt: rc.getAttemptNumber(), subtask: me, offset: this.offset });
    ctx.getCheckpointLock();
    while (this.running && this.offset < PER_SUBTASK) {
      // synchronized (lock) { ctx.collect(offset); offset += 1; } — one synchronous step.
      if (this.poison) {
        // A negative record fails the map (not counted by the offset: it is no number of ours).
        this.poison = false;
        await ctx.collect(-1);
      }
      const full = ctx.collect(this.offset * n + me);
      this.offset += 1;
      if (full) await full;
      // The first attempt does not end before it failed, however slowly checkpoints complete.
      if (this.offset === PER_SUBTASK && rc.getAttemptNumber() === 0 && this.completed < 3) {
        await new Promise<void>((resolve) => {
          this.poisoned = resolve;
        });
        await ctx.collect(-1);
      }
    }
  }

  cancel(): void {
    this.running = false;
  }

  initializeState(context: FunctionInitializationContext): void {
    this.state = context.getOperatorStateStore().getListState(new ListStateDescriptor<number>('state'));
    for (const offset of this.state.get()) this.offset = offset;
  }

  snapshotState(_context: FunctionSnapshotContext): void {
    this.state.update([this.offset]);
  }

  notifyCheckpointComplete(): void {
    if (++this.completed !== 3 || this.getRuntimeContext().getAttemptNumber() !== 0) return;
    this.poison = true;
    this.poisoned?.();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a CheckpointedFunction source through a failover', () => {
  it('commits every number exactly once after restoring the offsets it checkpointed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-source-function-eo-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const cluster = new MiniCluster({
      numTaskManagers: 1,
      slotsPerTaskManager: PARALLELISM,
      config: { 'state.checkpoints.dir': join(dir, 'checkpoints'), 'state.backend.type': 'memory' },
    });
    await cluster.start();
    cleanups.push(() => cluster.stop());
    const client = new JobManagerClient(cluster.jobManagerAddress);
    cleanups.push(() => client.close());

    const out = join(dir, 'out');
    const job = (env: StreamExecutionEnvironment): void => {
      env.setParallelism(PARALLELISM);
      env.enableCheckpointing(50);
      env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
      env
        .addSource(new CounterSource(), 'counter')
        .uid('counter')
        .map((x: number): number => {
          if (x < 0) throw new Error('injected failure');
          // Slow on purpose (tens of microseconds per record), chained to the source: a slice of
          // the source task takes fewer records than the source's buffer holds.
          const until = performance.now() + 0.025;
          while (performance.now() < until);
          return x;
        })
        .uid('check')
        .keyBy((x: number) => x % 97)
        .map((x: number) => String(x))
        .uid('format')
        .sinkTo(FileSink.forRowFormat(out));
    };
    starts.length = 0;
    const build = () => buildJob(job, []);
    const { jobGraph } = await build();
    const jobId = newId();
    const hash = registerInProcessJob(build, jobId);
    cleanups.push(() => unregisterInProcessJob(hash));
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId });
    await waitFor(async () => (await client.getJob(jobId)).status === 'FINISHED', 50_000, 'job finished');

    const counts = new Map<number, number>();
    for (const name of await readdir(out)) {
      if (name.startsWith('.')) continue;
      for (const line of (await readFile(join(out, name), 'utf8')).split('\n')) {
        if (line) counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
      }
    }
    const total = PER_SUBTASK * PARALLELISM;
    const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !counts.has(i));
    const duplicated = [...counts].filter(([, c]) => c !== 1);
    expect(missing.slice(0, 5)).toEqual([]);
    expect(duplicated.slice(0, 5)).toEqual([]);
    expect(counts.size).toBe(total);
    // The second attempt resumed both subtasks from checkpointed offsets past the start.
    const resumed = starts.filter((s) => s.attempt > 0);
    expect(resumed.map((s) => s.subtask).sort()).toEqual([0, 1]);
    expect(resumed.every((s) => s.offset > 0)).toBe(true);
  }, 60_000);
});
