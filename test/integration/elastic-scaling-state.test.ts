/**
 * Elastic scaling state a JobManager exposes and keeps: the adaptive scheduler's "waiting for
 * resources" in REST (at submission and after a TaskManager loss below the lower bounds), and a
 * job's bounds and parallelism surviving a JobManager restart through the HA store. The
 * JobManager is real; TaskManagers are gRPC doubles that run tasks and acknowledge checkpoints.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { loadConfig, type RawConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { CheckpointingTaskManager } from './checkpoint-harness.js';
import { twoVertexJobGraph, waitFor } from './jobmanager-harness.js';

const bundle = Buffer.from('module.exports = { default: () => {} };');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(extra: RawConfig = {}): Promise<{ dir: string; config: ReturnType<typeof loadConfig> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fluss-elastic-it-'));
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
      ...extra,
    },
  });
  return { dir, config };
}

async function startJobManager(config: ReturnType<typeof loadConfig>): Promise<{ jm: JobManager; client: JobManagerClient }> {
  const jm = new JobManager(config, silentLogger());
  await jm.start();
  const client = new JobManagerClient(jm.address, { connectTimeoutMs: 2_000 });
  cleanups.push(async () => {
    client.close();
    await jm.stop();
  });
  return { jm, client };
}

async function startTaskManager(address: string, slots: number): Promise<CheckpointingTaskManager> {
  const tm = new CheckpointingTaskManager(address, slots);
  await tm.start();
  cleanups.push(() => tm.stop());
  return tm;
}

function checkpointedGraph(): ReturnType<typeof twoVertexJobGraph> {
  const graph = twoVertexJobGraph(2, 2, { type: 'fixed-delay', attempts: 100, delayMs: 0 });
  graph.settings.checkpoint = { ...graph.settings.checkpoint, intervalMs: 100, timeoutMs: 5_000 };
  return graph;
}

async function waitingOf(jm: JobManager, jobId: string): Promise<unknown> {
  const res = await fetch(`http://${jm.restAddress}/jobs/${jobId}`);
  return ((await res.json()) as Record<string, unknown>)['waiting-for-resources'];
}

describe('waiting for resources (adaptive scheduler)', () => {
  it('shows in GET /jobs/:jid and the overview while the lower bounds do not fit, at submission and after a TaskManager loss, and clears once the job runs', async () => {
    const { config } = await setUp({ 'jobmanager.scheduler': 'adaptive', 'jobmanager.adaptive-scheduler.resource-stabilization-timeout': 100, 'jobmanager.adaptive-scheduler.scaling-interval.min': 0 });
    const { jm, client } = await startJobManager(config);
    const jobId = await client.submitJob({ bundle, jobGraph: checkpointedGraph(), programArgs: [] });

    // No TaskManager: the job waits for the one slot of its lower bounds.
    await waitFor(async () => (await waitingOf(jm, jobId)) !== null, 5_000, 'waiting at submission');
    const atSubmission = (await waitingOf(jm, jobId)) as { needed: number; available: number; since: number };
    expect(atSubmission).toMatchObject({ needed: 1, available: 0 });
    expect(atSubmission.since).toBeGreaterThan(0);
    const overview = (await (await fetch(`http://${jm.restAddress}/jobs/overview`)).json()) as { jobs: Record<string, unknown>[] };
    expect(overview.jobs[0]!['waiting-for-resources']).toMatchObject({ needed: 1, available: 0 });

    const tm1 = await startTaskManager(jm.address, 2);
    await waitFor(() => jm.dispatcher.jobMaster(jobId)!.executions.every((e) => e.state === 'RUNNING'), 10_000, 'the job running');
    expect(await waitingOf(jm, jobId)).toBeNull();
    // Started at its lower bounds, it scales up to the two slots.
    const atTwo = () => jm.dispatcher.jobMaster(jobId)!.jobGraph.vertices.every((v) => v.parallelism === 2);
    await waitFor(() => atTwo() && !jm.rescaler.isRescaling(jobId) && jm.dispatcher.jobMaster(jobId)!.executions.every((e) => e.state === 'RUNNING'), 10_000, 'the job at parallelism 2');

    // Lower bounds of 2: losing the only TaskManager leaves the restart waiting for 2 slots.
    await jm.rescaler.update(jobId, new Map([['src', { lowerBound: 2, upperBound: 2 }], ['map', { lowerBound: 2, upperBound: 2 }]]), true);
    await tm1.stop();
    await waitFor(async () => (await waitingOf(jm, jobId)) !== null, 10_000, 'waiting after the TaskManager loss');
    expect(await waitingOf(jm, jobId)).toMatchObject({ needed: 2, available: 0 });
    await startTaskManager(jm.address, 1);
    await waitFor(async () => ((await waitingOf(jm, jobId)) as { available?: number } | null)?.available === 1, 10_000, 'one slot available');
    expect(await waitingOf(jm, jobId)).toMatchObject({ needed: 2, available: 1 });
    await startTaskManager(jm.address, 1);
    await waitFor(() => jm.dispatcher.jobMaster(jobId)!.executions.every((e) => e.state === 'RUNNING'), 10_000, 'the job running again');
    expect(await waitingOf(jm, jobId)).toBeNull();
  });
});

describe('resource requirements in the HA store', () => {
  it('a restarted JobManager recovers the job at the parallelism and bounds of its last rescale', async () => {
    const { dir, config } = await setUp();
    const first = await startJobManager(config);
    const tm1 = await startTaskManager(first.jm.address, 4);
    const jobId = await first.client.submitJob({ bundle, jobGraph: checkpointedGraph(), programArgs: [] });
    const job = () => first.jm.dispatcher.jobMaster(jobId)!;
    await waitFor(() => job().checkpointing.coordinator.latestCompletedCheckpoint() !== undefined, 10_000, 'a checkpoint');

    const bounds = new Map([['src', { lowerBound: 3, upperBound: 3 }], ['map', { lowerBound: 1, upperBound: 3 }]]);
    const outcome = await first.jm.rescaler.update(jobId, bounds, true);
    expect(outcome.rescaled).toBe(true);
    expect(job().jobGraph.vertices.map((v) => v.parallelism)).toEqual([3, 3]);
    const file = join(dir, 'ha', 'scaling', `${jobId}.json`);
    await waitFor(async () => JSON.parse(await readFile(file, 'utf8').catch(() => '{}')).parallelism?.src === 3, 5_000, 'the scaling record');
    const rescaledAt = job().checkpointing.coordinator.latestCompletedCheckpoint()!.checkpointId;
    await waitFor(() => job().checkpointing.coordinator.latestCompletedCheckpoint()!.checkpointId > rescaledAt, 10_000, 'a checkpoint at parallelism 3');
    await tm1.stop();
    await first.jm.stop();

    const second = await startJobManager(config);
    const recovered = second.jm.dispatcher.jobMaster(jobId)!;
    expect(recovered.jobGraph.vertices.map((v) => v.parallelism)).toEqual([3, 3]);
    expect(Object.fromEntries(second.jm.rescaler.requirementsOf(jobId))).toEqual({ src: { lowerBound: 3, upperBound: 3 }, map: { lowerBound: 1, upperBound: 3 } });
    const tm2 = await startTaskManager(second.jm.address, 4);
    await waitFor(() => tm2.current(jobId).length === 6, 10_000, 'six subtasks deployed after recovery');
    expect(tm2.current(jobId).filter((d) => d.vertexId === 'src')).toHaveLength(3);
  });
});
