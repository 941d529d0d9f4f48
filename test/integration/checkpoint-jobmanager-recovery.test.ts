import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { CheckpointingTaskManager } from './checkpoint-harness.js';
import { twoVertexJobGraph, waitFor } from './jobmanager-harness.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint-store.js';
import type { FlussConfig } from '../../src/core/config.js';

const bundle = Buffer.from('module.exports = { default: () => {} };');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('JobManager recovery from high-availability.storageDir', () => {
  it('a restarted JobManager resumes a running job from its latest checkpoint once a TaskManager connects, and forgets it once terminal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-ha-it-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = loadConfig({
      properties: '',
      overrides: {
        'jobmanager.rpc.port': 0,
        'rest.port': 0,
        'heartbeat.interval': 50,
        'heartbeat.timeout': 1_000,
        'state.checkpoints.dir': join(dir, 'checkpoints'),
        'high-availability.storageDir': join(dir, 'ha'),
      },
    });
    const graph = twoVertexJobGraph(2, 1, { type: 'fixed-delay', attempts: 3, delayMs: 0 });
    graph.settings.checkpoint = { ...graph.settings.checkpoint, intervalMs: 100, timeoutMs: 5_000 };

    const first = new JobManager(config, silentLogger());
    await first.start();
    const tm1 = new CheckpointingTaskManager(first.address, 2);
    await tm1.start();
    const client1 = new JobManagerClient(first.address, { connectTimeoutMs: 2_000 });
    const jobId = await client1.submitJob({ bundle, jobGraph: graph, programArgs: ['a'] });
    await waitFor(() => first.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint() !== undefined, 10_000, 'a checkpoint');
    tm1.acknowledge = false;
    await new Promise((r) => setTimeout(r, 50));
    const latest = first.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()!;
    const firstAttempts = tm1.current(jobId).map((d) => d.attempt);
    expect(firstAttempts).toEqual([0, 0, 0]);
    client1.close();
    await tm1.stop();
    await first.stop();
    expect(await readdir(join(dir, 'ha', 'jobs'))).toEqual([`${jobId}.json`]);

    const second = new JobManager(config, silentLogger());
    await second.start();
    cleanups.push(() => second.stop());
    const client2 = new JobManagerClient(second.address, { connectTimeoutMs: 2_000 });
    cleanups.push(() => client2.close());
    expect((await client2.getJob(jobId)).status).toBe('RUNNING');
    const tm2 = new CheckpointingTaskManager(second.address, 2);
    await tm2.start();
    cleanups.push(() => tm2.stop());
    await waitFor(() => tm2.current(jobId).length === 3, 5_000, 'redeployment after recovery');
    for (const d of tm2.current(jobId)) {
      expect(d.restore).toEqual({ checkpointDir: latest.externalPath, checkpointId: latest.checkpointId, allowNonRestoredState: false });
      expect(d.programArgs).toEqual(['a']);
      // Attempt numbers never repeat within a job, though no TaskManager reported the old ones.
      expect(d.attempt).toBe(1);
    }
    // The restored checkpoint is retained by the new JobManager; ids continue after it.
    expect(second.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()?.checkpointId).toBe(latest.checkpointId);
    await waitFor(() => (second.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()?.checkpointId ?? 0) > latest.checkpointId, 10_000, 'a checkpoint after recovery');
    expect(second.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()!.checkpointId).toBeGreaterThan(latest.checkpointId);

    await client2.cancelJob(jobId);
    await waitFor(async () => (await client2.getJob(jobId)).status === 'CANCELED', 5_000, 'cancelled');
    await waitFor(async () => (await readdir(join(dir, 'ha', 'jobs'))).length === 0, 5_000, 'HA record removed');
  });

  /** Runs a job on a first JobManager until `checkpoints` completed, then stops it as a crash would leave things. */
  async function crashAfterCheckpoints(checkpoints: number, overrides: Partial<Record<keyof FlussConfig, unknown>> = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-ha-it-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = loadConfig({
      properties: '',
      overrides: {
        'jobmanager.rpc.port': 0,
        'rest.port': 0,
        'heartbeat.interval': 50,
        'heartbeat.timeout': 1_000,
        'state.checkpoints.dir': join(dir, 'checkpoints'),
        'high-availability.storageDir': join(dir, 'ha'),
        ...overrides,
      },
    });
    const graph = twoVertexJobGraph(2, 1, { type: 'fixed-delay', attempts: 3, delayMs: 0 });
    graph.settings.checkpoint = { ...graph.settings.checkpoint, intervalMs: 100, timeoutMs: 5_000 };
    const first = new JobManager(config, silentLogger());
    await first.start();
    const tm = new CheckpointingTaskManager(first.address, 2);
    await tm.start();
    const client = new JobManagerClient(first.address, { connectTimeoutMs: 2_000 });
    const jobId = await client.submitJob({ bundle, jobGraph: graph, programArgs: [] });
    const coordinator = () => first.dispatcher.jobMaster(jobId)!.checkpointing.coordinator;
    await waitFor(() => (coordinator().latestCompletedCheckpoint()?.checkpointId ?? 0) >= checkpoints, 10_000, `${checkpoints} checkpoints`);
    tm.acknowledge = false;
    await new Promise((r) => setTimeout(r, 50));
    const retained: CompletedCheckpoint[] = [...coordinator().completedCheckpoints()];
    client.close();
    await tm.stop();
    await first.stop();
    // A checkpoint in flight when the JobManager died: its directory is no retained checkpoint's.
    const jobDir = join(dir, 'checkpoints', jobId);
    const inFlight = retained.at(-1)!.checkpointId + 5;
    await mkdir(join(jobDir, `chk-${inFlight}`), { recursive: true });
    await writeFile(join(jobDir, `chk-${inFlight}`, 'op-src-0.state'), 'partial');
    return { dir, config, jobId, retained, jobDir, inFlight };
  }

  async function startSecond(config: FlussConfig) {
    const second = new JobManager(config, silentLogger());
    await second.start();
    cleanups.push(() => second.stop());
    const client = new JobManagerClient(second.address, { connectTimeoutMs: 2_000 });
    cleanups.push(() => client.close());
    return { second, client };
  }

  it('a restarted JobManager whose latest checkpoint has a damaged _metadata resumes the job from the previous one and collects the orphans', async () => {
    const { config, jobId, retained, jobDir, inFlight } = await crashAfterCheckpoints(3);
    expect(retained.length).toBe(3);
    const [, previous, latest] = retained as [CompletedCheckpoint, CompletedCheckpoint, CompletedCheckpoint];
    await writeFile(join(latest.externalPath, '_metadata'), '{"version":1,"jobId":');

    const { second, client } = await startSecond(config);
    expect((await client.getJob(jobId)).status).toBe('RUNNING');
    const rest = await fetch(`http://${second.restAddress}/jobs/${jobId}`);
    expect(rest.status).toBe(200);
    expect((await client.listJobs(true)).map((j) => j.jobId)).toContain(jobId);
    // The damaged checkpoint and the orphan are gone; the older retained ones stay as fallbacks.
    expect((await readdir(jobDir)).filter((n) => n.startsWith('chk-')).sort()).toEqual([`chk-${retained[0]!.checkpointId}`, `chk-${previous.checkpointId}`].sort());
    const tm = new CheckpointingTaskManager(second.address, 2);
    await tm.start();
    cleanups.push(() => tm.stop());
    await waitFor(() => tm.current(jobId).length === 3, 5_000, 'redeployment after recovery');
    for (const d of tm.current(jobId)) expect(d.restore).toEqual({ checkpointDir: previous.externalPath, checkpointId: previous.checkpointId, allowNonRestoredState: false });
    // New checkpoints are numbered above every directory ever used, and retention covers the recovered ones.
    const master = second.dispatcher.jobMaster(jobId)!;
    await waitFor(() => (master.checkpointing.coordinator.latestCompletedCheckpoint()?.checkpointId ?? 0) > inFlight + 2, 10_000, 'checkpoints after recovery');
    const ids = master.checkpointing.coordinator.completedCheckpoints().map((c) => c.checkpointId);
    expect(ids.every((id) => id > inFlight)).toBe(true);
    await waitFor(async () => (await readdir(jobDir)).filter((n) => n.startsWith('chk-')).length <= 3 + 1, 5_000, 'recovered checkpoints subsumed');
    expect(await readdir(jobDir)).not.toContain(`chk-${retained[0]!.checkpointId}`);
  });

  it('a restarted JobManager that can restore no checkpoint of a job lists it FAILED with the cause, and keeps the damaged checkpoint', async () => {
    const { config, jobId, retained, jobDir } = await crashAfterCheckpoints(1, { 'state.checkpoints.num-retained': 1 });
    expect(retained.length).toBe(1);
    const only = retained[0]!;
    await writeFile(join(only.externalPath, '_metadata'), '{"version":1,"jobId":');

    const { second, client } = await startSecond(config);
    const info = await client.getJob(jobId);
    expect(info.status).toBe('FAILED');
    expect(info.failureCause).toContain(`The _metadata of ${only.externalPath} is damaged: Unexpected end of JSON input`);
    expect(info.failureCause).not.toContain('\n');
    const rest = await fetch(`http://${second.restAddress}/jobs/${jobId}`);
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { state: string }).state).toBe('FAILED');
    expect((await client.listJobs(true)).find((j) => j.jobId === jobId)?.status).toBe('FAILED');
    expect((await readdir(jobDir)).filter((n) => n.startsWith('chk-'))).toEqual([`chk-${only.checkpointId}`]);
  });
});

