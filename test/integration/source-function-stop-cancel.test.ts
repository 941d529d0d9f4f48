/**
 * An unbounded `SourceFunction` on a MiniCluster: stop-with-savepoint calls `cancel()`, its `run`
 * returns, and a job resumed from the savepoint continues where it stopped — what the source had
 * collected after the savepoint's barrier is dropped and generated again, so the numbers across
 * both jobs are committed exactly once; cancelling a job calls `cancel()` too.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import {
  FileSink,
  ListStateDescriptor,
  RichSourceFunction,
  type CheckpointedFunction,
  type ListState,
  type SourceContext,
  type StateInitializationContext,
} from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { newId } from '../../src/core/ids.js';
import { waitFor } from './jobmanager-harness.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the source instances did (the mini-cluster runs in this process). */
const lifecycle = { canceled: 0, returned: 0, restoredFrom: [] as number[] };

/** An unbounded counter that keeps its offset in operator list state. */
class Counter extends RichSourceFunction<number> implements CheckpointedFunction {
  private offset = 0;
  private running = true;
  private state!: ListState<number>;

  async run(ctx: SourceContext<number>): Promise<void> {
    lifecycle.restoredFrom.push(this.offset);
    while (this.running) {
      await ctx.collect(this.offset++);
      if (this.offset % 200 === 0) await sleep(1);
    }
    lifecycle.returned++;
  }

  cancel(): void {
    lifecycle.canceled++;
    this.running = false;
  }

  initializeState(context: StateInitializationContext): void {
    this.state = context.getOperatorStateStore().getListState(new ListStateDescriptor<number>('offset'));
    for (const o of this.state.get()) this.offset = o;
  }

  snapshotState(): void {
    this.state.update([this.offset]);
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('an unbounded SourceFunction stopped, resumed and cancelled', () => {
  it('stop-with-savepoint cancels run, the resumed job continues exactly once, cancel calls cancel()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-source-function-stop-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const cluster = new MiniCluster({
      numTaskManagers: 1,
      slotsPerTaskManager: 2,
      config: { 'state.checkpoints.dir': join(dir, 'checkpoints'), 'state.savepoints.dir': join(dir, 'savepoints'), 'state.backend.type': 'memory' },
    });
    await cluster.start();
    cleanups.push(() => cluster.stop());
    const client = new JobManagerClient(cluster.jobManagerAddress);
    cleanups.push(() => client.close());

    const out = join(dir, 'out');
    const job = (env: StreamExecutionEnvironment): void => {
      env.enableCheckpointing(100);
      env
        .addSource(new Counter(), 'counter')
        .uid('counter')
        .map((x: number) => String(x))
        .uid('format')
        .rebalance()
        .sinkTo(FileSink.forRowFormat(out))
        .uid('files');
    };
    const submit = async (restorePath?: string): Promise<string> => {
      const build = () => buildJob(job, []);
      const { jobGraph } = await build();
      const jobId = newId();
      const hash = registerInProcessJob(build, jobId);
      cleanups.push(() => unregisterInProcessJob(hash));
      await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId, restorePath });
      return jobId;
    };
    const committed = async (): Promise<number[]> => {
      const numbers: number[] = [];
      for (const name of await readdir(out).catch(() => [] as string[])) {
        if (name.startsWith('.')) continue;
        for (const line of (await readFile(join(out, name), 'utf8')).split('\n')) if (line) numbers.push(Number(line));
      }
      return numbers.sort((a, b) => a - b);
    };

    const first = await submit();
    await waitFor(async () => (await committed()).length > 0, 20_000, 'output committed by a checkpoint');
    const savepoint = await client.triggerSavepoint({ jobId: first, stop: true });
    await waitFor(async () => (await client.getJob(first)).status === 'FINISHED', 20_000, 'stopped job finished');
    await waitFor(() => lifecycle.returned === 1, 10_000, 'run() returned after stop');
    expect(lifecycle.canceled).toBe(1);
    const stoppedAt = (await committed()).length;

    const second = await submit(savepoint);
    await waitFor(async () => (await committed()).length > stoppedAt, 20_000, 'resumed job committed more');
    await client.triggerSavepoint({ jobId: second, stop: true });
    await waitFor(async () => (await client.getJob(second)).status === 'FINISHED', 20_000, 'second job finished');
    await waitFor(() => lifecycle.returned === 2, 10_000, 'run() returned after the second stop');

    const numbers = await committed();
    expect(numbers.slice(0, 3)).toEqual([0, 1, 2]);
    const wrong = numbers.filter((n, i) => n !== i);
    expect(wrong.slice(0, 5)).toEqual([]);
    // The second job started from the offset in the savepoint, not from 0.
    expect(lifecycle.restoredFrom[0]).toBe(0);
    expect(lifecycle.restoredFrom[1]).toBe(stoppedAt);

    const third = await submit();
    await waitFor(() => lifecycle.restoredFrom.length === 3, 20_000, 'third job running');
    await client.cancelJob(third);
    await waitFor(async () => (await client.getJob(third)).status === 'CANCELED', 20_000, 'third job canceled');
    await waitFor(() => lifecycle.returned === 3, 10_000, 'run() returned after cancel');
    expect(lifecycle.canceled).toBe(3);
  }, 90_000);
});
