import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointMetadata } from '../../src/checkpoint/checkpoint-types.js';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { runCli } from '../../src/cli/program.js';
import type { CliIO } from '../../src/cli/cli-io.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import type { JobGraph } from '../../src/common/job-graph.js';
import { CheckpointingTaskManager } from './checkpoint-harness.js';
import { twoVertexJobGraph, waitFor } from './jobmanager-harness.js';

const bundle = Buffer.from('module.exports = { default: () => {} };');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startCluster(overrides: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'fluss-cp-it-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = loadConfig({
    properties: '',
    overrides: {
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'heartbeat.interval': 50,
      'heartbeat.timeout': 1_000,
      'state.checkpoints.dir': join(dir, 'checkpoints'),
      'state.savepoints.dir': join(dir, 'savepoints'),
      ...overrides,
    },
  });
  const jm = new JobManager(config, silentLogger());
  await jm.start();
  cleanups.push(() => jm.stop());
  const client = new JobManagerClient(jm.address, { connectTimeoutMs: 2_000 });
  cleanups.push(() => client.close());
  const tm = new CheckpointingTaskManager(jm.address, 2);
  await tm.start();
  cleanups.push(() => tm.stop());
  return { dir, jm, client, tm };
}

function checkpointed(intervalMs: number, over: Partial<JobGraph['settings']['checkpoint']> = {}): JobGraph {
  const g = twoVertexJobGraph(2, 1, { type: 'fixed-delay', attempts: 3, delayMs: 0 });
  g.settings.checkpoint = { ...g.settings.checkpoint, intervalMs, timeoutMs: 5_000, ...over };
  return g;
}

const readMetadata = async (dir: string): Promise<CheckpointMetadata> => JSON.parse(await readFile(join(dir, '_metadata'), 'utf8')) as CheckpointMetadata;

function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

describe('checkpoint coordination over gRPC', () => {
  it('completes periodic checkpoints: _metadata under <dir>/<jobId>/chk-<n>, one retained, tasks notified, REST statistics', async () => {
    const { dir, jm, client, tm } = await startCluster();
    const jobId = await client.submitJob({ bundle, jobGraph: checkpointed(100), programArgs: [] });
    const jobDir = join(dir, 'checkpoints', jobId);
    await waitFor(() => tm.completed.filter((n) => n.vertexId === 'map').length >= 3, 10_000, 'three completed checkpoints');
    const chks = (await readdir(jobDir)).filter((d) => d.startsWith('chk-'));
    expect(chks.length).toBeGreaterThanOrEqual(1);
    const latest = jm.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()!;
    const md = await readMetadata(latest.externalPath);
    expect(latest.externalPath).toBe(join(jobDir, `chk-${latest.checkpointId}`));
    expect(md).toMatchObject({ version: 1, jobId, checkpointId: latest.checkpointId, savepoint: false });
    expect(md.operators.map((o) => [o.operatorId, o.subtasks.length])).toEqual([
      ['src', 2],
      ['map', 1],
    ]);
    // Notified only for checkpoints whose _metadata had been written.
    for (const n of tm.completed) expect(n.checkpointId).toBeLessThanOrEqual(latest.checkpointId);
    const res = await fetch(`http://${jm.restAddress}/jobs/${jobId}/checkpoints`);
    const body = (await res.json()) as { counts: { completed: number }; latest: { completed: { external_path: string } | null } };
    expect(body.counts.completed).toBeGreaterThanOrEqual(3);
    expect(body.latest.completed?.external_path).toMatch(new RegExp(`${jobId}/chk-\\d+$`));
    await client.cancelJob(jobId);
    await waitFor(async () => (await client.getJob(jobId)).status === 'CANCELED', 5_000, 'cancel');
    // DELETE_ON_CANCELLATION: nothing left behind.
    await waitFor(async () => (await stat(jobDir).catch(() => undefined)) === undefined, 5_000, 'checkpoint dir removed');
  });

  it('refuses a checkpointing job on a cluster without state.checkpoints.dir', async () => {
    const { client } = await startCluster({ 'state.checkpoints.dir': undefined });
    await expect(client.submitJob({ bundle, jobGraph: checkpointed(100), programArgs: [] })).rejects.toThrow(
      'Job "word count" enables checkpointing, but the cluster has no checkpoint storage: set state.checkpoints.dir',
    );
  });

  it('takes a savepoint via the client, restores a resubmitted job from it, and disposes it', async () => {
    const { dir, client, tm } = await startCluster();
    const jobId = await client.submitJob({ bundle, jobGraph: checkpointed(0), programArgs: [] });
    await waitFor(() => tm.current(jobId).length === 3, 5_000, 'deployments');
    await waitFor(async () => (await client.getJob(jobId)).vertices.every((v) => v.status === 'RUNNING'), 5_000, 'running');
    const path = await client.triggerSavepoint({ jobId });
    expect(path).toMatch(new RegExp(`^${join(dir, 'savepoints')}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
    const md = await readMetadata(path);
    expect(md.savepoint).toBe(true);
    expect(tm.triggers.at(-1)).toMatchObject({ savepoint: true, aligned: true, targetDir: path });

    await client.cancelJob(jobId);
    await waitFor(async () => (await client.getJob(jobId)).status === 'CANCELED', 5_000, 'cancelled');
    const second = await client.submitJob({ bundle, jobGraph: checkpointed(0), programArgs: [], restorePath: path });
    await waitFor(() => tm.current(second).length === 3, 5_000, 'restored deployments');
    expect(tm.current(second).map((d) => d.restore)).toEqual(Array(3).fill({ checkpointDir: path, checkpointId: md.checkpointId, allowNonRestoredState: false }));

    await client.cancelJob(second);
    await expect(client.disposeSavepoint(join(dir, 'savepoints'))).rejects.toThrow(/it is not a savepoint \(no _metadata file\)/);
    await client.disposeSavepoint(path);
    await expect(stat(path)).rejects.toThrow();
  });

  it('refuses restores with changed max parallelism, unmapped state without -n, and damaged _metadata', async () => {
    const { client, tm } = await startCluster();
    const jobId = await client.submitJob({ bundle, jobGraph: checkpointed(0), programArgs: [] });
    await waitFor(async () => tm.current(jobId).length === 3 && (await client.getJob(jobId)).vertices.every((v) => v.status === 'RUNNING'), 5_000, 'running');
    const path = await client.triggerSavepoint({ jobId, cancel: true });
    await waitFor(async () => (await client.getJob(jobId)).status === 'CANCELED', 5_000, 'cancelled after savepoint');

    const rescaledMax = checkpointed(0);
    rescaledMax.vertices[1]!.maxParallelism = 256;
    await expect(client.submitJob({ bundle, jobGraph: rescaledMax, programArgs: [], restorePath: path })).rejects.toThrow('max parallelism changed from 128 to 256 for operator map (Map)');

    const renamed = checkpointed(0);
    renamed.vertices[1]!.operators[0]!.operatorId = 'map2';
    await expect(client.submitJob({ bundle, jobGraph: renamed, programArgs: [], restorePath: path })).rejects.toThrow(/Cannot map checkpoint\/savepoint state for operator map \(Map\)/);
    const accepted = await client.submitJob({ bundle, jobGraph: renamed, programArgs: [], restorePath: path, allowNonRestoredState: true });
    await waitFor(() => tm.current(accepted).length === 3, 5_000, 'deployments with -n');
    expect(tm.current(accepted)[0]!.restore?.allowNonRestoredState).toBe(true);
    await client.cancelJob(accepted);

    await writeFile(join(path, '_metadata'), '{"version":1,');
    await expect(client.submitJob({ bundle, jobGraph: checkpointed(0), programArgs: [], restorePath: path })).rejects.toThrow(/_metadata of .* is damaged/);
  });

  it('fails over a task failure by redeploying every task with the latest completed checkpoint', async () => {
    const { client, tm, jm } = await startCluster();
    const jobId = await client.submitJob({ bundle, jobGraph: checkpointed(100), programArgs: [] });
    await waitFor(() => jm.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint() !== undefined, 10_000, 'a checkpoint');
    tm.acknowledge = false;
    const latest = jm.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()!;
    const map = tm.current(jobId).find((d) => d.vertexId === 'map')!;
    await tm.report(map, 'FAILED', 'boom');
    await waitFor(() => tm.current(jobId).every((d) => d.attempt === 1), 5_000, 'redeployment');
    for (const d of tm.current(jobId)) expect(d.restore).toEqual({ checkpointDir: latest.externalPath, checkpointId: latest.checkpointId, allowNonRestoredState: false });
    await client.cancelJob(jobId);
  });

  it('fails the job over when more consecutive checkpoints fail than tolerated', async () => {
    const { client, tm, jm } = await startCluster();
    tm.acknowledge = false;
    const jobId = await client.submitJob({ bundle, jobGraph: checkpointed(50, { timeoutMs: 100, tolerableFailures: 1 }), programArgs: [] });
    await waitFor(() => tm.current(jobId).some((d) => d.attempt === 1), 10_000, 'failover');
    const history = jm.dispatcher.jobMaster(jobId)!.exceptionHistory;
    expect(JSON.stringify(history)).toContain('Exceeded checkpoint tolerable failure threshold');
    await client.cancelJob(jobId);
  });

  it('runs savepoint, cancel -s and savepoint -d from the CLI with Flink output', async () => {
    const { jm, client, tm } = await startCluster();
    const jobId = await client.submitJob({ bundle, jobGraph: checkpointed(0), programArgs: [] });
    await waitFor(async () => tm.current(jobId).length === 3 && (await client.getJob(jobId)).vertices.every((v) => v.status === 'RUNNING'), 5_000, 'running');
    const io = captureIO();
    expect(await runCli(['savepoint', '-m', jm.address, jobId], io)).toEqual({ kind: 'exit', code: 0 });
    const line = io.stdout.find((l) => l.startsWith('Savepoint completed. Path: '))!;
    const path = line.slice('Savepoint completed. Path: '.length);
    expect(io.stdout[0]).toBe(`Triggering savepoint for job ${jobId}.`);

    const cancel = captureIO();
    expect(await runCli(['cancel', '-m', jm.address, '-s', jobId], cancel)).toEqual({ kind: 'exit', code: 0 });
    expect(cancel.stdout.at(-1)).toMatch(new RegExp(`^Cancelled job ${jobId}\\. Savepoint stored in .*savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}\\.$`));
    await waitFor(async () => (await client.getJob(jobId)).status === 'CANCELED', 5_000, 'cancelled');

    const dispose = captureIO();
    expect(await runCli(['savepoint', '-m', jm.address, '-d', path], dispose)).toEqual({ kind: 'exit', code: 0 });
    expect(dispose.stdout.at(-1)).toBe(`Savepoint '${path}' disposed.`);
    const again = captureIO();
    expect(await runCli(['savepoint', '-m', jm.address, '-d', path], again)).toEqual({ kind: 'exit', code: 1 });
    expect(again.stderr).toEqual([expect.stringMatching(/^Error: Cannot find checkpoint or savepoint at /)]);
    const stopped = captureIO();
    expect(await runCli(['stop', '-m', jm.address, jobId], stopped)).toEqual({ kind: 'exit', code: 1 });
    expect(stopped.stderr).toEqual([`Error: Job ${jobId} is CANCELED: a savepoint needs a running job.`]);
  });
});
