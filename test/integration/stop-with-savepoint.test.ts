/**
 * Stop-with-savepoint on a MiniCluster with real TaskManagers: the sources end after the
 * savepoint's barrier, the sinks commit its transaction, the job ends FINISHED; without drain
 * pending event-time windows do not fire (their state is in the savepoint and fires in the
 * resumed run), with drain they fire before the barrier; a failed savepoint leaves the job running.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { FileSink, TumblingEventTimeWindows, WatermarkStrategy } from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { newId } from '../../src/core/ids.js';
import { runCli } from '../../src/cli/program.js';
import type { CliIO } from '../../src/cli/cli-io.js';
import { waitFor } from './jobmanager-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Numbers 0..count-1 with event time = value; raw records to `raw/`, one huge window's count per key to `windows/`. */
function numbers(dir: string, count: number, parallelism = 2) {
  return (env: StreamExecutionEnvironment): void => {
    env.setParallelism(parallelism);
    env.enableCheckpointing(300);
    const input = env
      .fromSource(
        new DataGeneratorSource((i: number) => i, count, { ratePerSecond: 4_000 }),
        WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((i) => i),
        'numbers',
      )
      .uid('numbers');
    input.sinkTo(FileSink.forRowFormat(join(dir, 'raw'))).uid('raw-sink');
    input
      .map((i: number) => ({ key: i % 2, n: 1 }))
      .uid('ones')
      .keyBy((x: { key: number }) => x.key)
      .window(TumblingEventTimeWindows.of(1_000_000_000))
      .reduce((a: { key: number; n: number }, b: { key: number; n: number }) => ({ key: a.key, n: a.n + b.n }))
      .uid('window')
      .sinkTo(FileSink.forRowFormat(join(dir, 'windows')))
      .uid('window-sink');
  };
}

/** Lines of committed part files (names not starting with '.'). */
async function committedLines(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    for (const line of (await readFile(join(dir, n), 'utf8')).split('\n')) if (line) out.push(line);
  }
  return out;
}

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

async function setUp(numTaskManagers = 2): Promise<{ dir: string; cluster: MiniCluster; client: JobManagerClient }> {
  const dir = await mkdtemp(join(tmpdir(), 'fluss-stop-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const cluster = new MiniCluster({
    numTaskManagers,
    config: { 'state.checkpoints.dir': join(dir, 'checkpoints'), 'state.savepoints.dir': join(dir, 'savepoints'), 'state.backend.type': 'memory' },
  });
  await cluster.start();
  cleanups.push(() => cluster.stop());
  const client = new JobManagerClient(cluster.jobManagerAddress);
  cleanups.push(() => client.close());
  return { dir, cluster, client };
}

async function submit(client: JobManagerClient, job: (env: StreamExecutionEnvironment) => void, restorePath?: string): Promise<string> {
  const build = () => buildJob(job, []);
  const { jobGraph } = await build();
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  cleanups.push(() => unregisterInProcessJob(hash));
  await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId, restorePath });
  await waitFor(async () => (await client.getJob(jobId)).vertices.every((v) => v.status === 'RUNNING'), 10_000, 'job running');
  return jobId;
}

describe('stop-with-savepoint', () => {
  it('without drain: FINISHED, the savepoint transaction committed, windows unfired until the resumed run ends', async () => {
    const { dir, client } = await setUp();
    const COUNT = 6_000;
    const job = numbers(dir, COUNT);
    const first = await submit(client, job);
    await new Promise((r) => setTimeout(r, 400));
    const path = await client.triggerSavepoint({ jobId: first, stop: true });
    expect((await client.getJob(first)).status).toBe('FINISHED');
    const raw1 = (await committedLines(join(dir, 'raw'))).map(Number);
    expect(raw1.length).toBeGreaterThan(0);
    expect(raw1.length).toBeLessThan(COUNT);
    expect(await committedLines(join(dir, 'windows'))).toEqual([]);

    const second = await submit(client, job, path);
    await waitFor(async () => (await client.getJob(second)).status === 'FINISHED', 20_000, 'resumed job finished');
    const raw = (await committedLines(join(dir, 'raw'))).map(Number).sort((a, b) => a - b);
    expect(raw).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    // The windows' state crossed the savepoint: one count per key over both runs.
    const windows = (await committedLines(join(dir, 'windows'))).map((l) => JSON.parse(l) as { key: number; n: number });
    expect(windows.sort((a, b) => a.key - b.key)).toEqual([
      { key: 0, n: COUNT / 2 },
      { key: 1, n: COUNT / 2 },
    ]);
  }, 40_000);

  it('with drain: the maximal watermark fires the windows into the savepoint transaction', async () => {
    const { dir, client } = await setUp();
    const first = await submit(client, numbers(dir, 1_000_000));
    await new Promise((r) => setTimeout(r, 400));
    await client.triggerSavepoint({ jobId: first, stop: true, drain: true });
    expect((await client.getJob(first)).status).toBe('FINISHED');
    const raw = await committedLines(join(dir, 'raw'));
    const windows = (await committedLines(join(dir, 'windows'))).map((l) => JSON.parse(l) as { key: number; n: number });
    expect(windows.length).toBe(2);
    expect(windows.reduce((s, w) => s + w.n, 0)).toBe(raw.length);
  }, 30_000);

  it('stops a resumed job whose extra source subtask has nothing to read (it waits at end of input)', async () => {
    const { dir, client } = await setUp(3);
    const first = await submit(client, numbers(dir, 1_000_000));
    await new Promise((r) => setTimeout(r, 300));
    const path = await client.triggerSavepoint({ jobId: first, stop: true });
    // Two splits, three source subtasks: the third ends its input at once and waits.
    const second = await submit(client, numbers(dir, 1_000_000, 3), path);
    await new Promise((r) => setTimeout(r, 500));
    await client.triggerSavepoint({ jobId: second, stop: true });
    expect((await client.getJob(second)).status).toBe('FINISHED');
    const raw = (await committedLines(join(dir, 'raw'))).map(Number);
    expect(new Set(raw).size).toBe(raw.length);
  }, 30_000);

  it('a savepoint that cannot be written leaves the job running', async () => {
    const { dir, client, cluster } = await setUp();
    const jobId = await submit(client, numbers(dir, 1_000_000));
    // A target inside the savepoint root that is a file: the savepoint directory cannot be created.
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'savepoints'), { recursive: true });
    await writeFile(join(dir, 'savepoints', 'blocked'), 'x');
    const failed = captureIO();
    expect(await runCli(['stop', '-m', cluster.jobManagerAddress, '-p', join(dir, 'savepoints', 'blocked'), jobId], failed)).toEqual({ kind: 'exit', code: 1 });
    expect(failed.stderr).toHaveLength(1);
    expect(failed.stderr[0]).toMatch(/^Error: Savepoint \d+ could not create its directory: /);
    const before = (await committedLines(join(dir, 'raw'))).length;
    expect((await client.getJob(jobId)).status).toBe('RUNNING');
    // It still produces, and a second stop succeeds.
    const stopped = captureIO();
    expect(await runCli(['stop', '-m', cluster.jobManagerAddress, jobId], stopped)).toEqual({ kind: 'exit', code: 0 });
    expect(stopped.stdout[stopped.stdout.length - 1]).toMatch(/^Savepoint completed\. Path: .*savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/);
    expect((await client.getJob(jobId)).status).toBe('FINISHED');
    expect((await committedLines(join(dir, 'raw'))).length).toBeGreaterThan(before);
  }, 30_000);
});
