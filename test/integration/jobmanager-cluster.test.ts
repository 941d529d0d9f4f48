import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { sha256Hex } from '../../src/core/ids.js';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import type { JobInfo } from '../../src/cluster/rpc/messages.js';
import { FakeTaskManager, twoVertexJobGraph, waitFor } from './jobmanager-harness.js';

const bundle = Buffer.from('module.exports = { default: () => {} };');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startCluster(overrides: Record<string, unknown> = {}, slotsPerTm: number[] = [2]) {
  const config = loadConfig({ properties: '', overrides: { 'jobmanager.rpc.port': 0, 'heartbeat.interval': 50, 'heartbeat.timeout': 1_000, ...overrides } });
  const jm = new JobManager(config, silentLogger());
  await jm.start();
  cleanups.push(() => jm.stop());
  const client = new JobManagerClient(jm.address, { connectTimeoutMs: 2_000 });
  cleanups.push(() => client.close());
  const tms: FakeTaskManager[] = [];
  for (const slots of slotsPerTm) {
    const tm = new FakeTaskManager(jm.address, slots);
    await tm.start();
    cleanups.push(() => tm.stop());
    tms.push(tm);
  }
  return { jm, client, tms };
}

describe('JobManager over gRPC', () => {
  it('deploys every subtask with its partitions and channels, and finishes the job', async () => {
    const { client, tms } = await startCluster({}, [2, 1]);
    const graph = twoVertexJobGraph(2, 3);
    const jobId = await client.submitJob({ bundle, jobGraph: graph, programArgs: ['--x', '1'] });
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    const updates: JobInfo[] = [];
    const watched = client.watchJob(jobId, (i) => updates.push(i));

    await waitFor(() => tms[0]!.tasks.length + tms[1]!.tasks.length === 5, 5_000, 'deployments');
    const all = [...tms[0]!.tasks, ...tms[1]!.tasks].map((t) => t.deployment);
    // slot i hosts subtask i of every vertex
    const tmOf = (v: string, i: number) => tms.find((tm) => tm.tasks.some((t) => t.deployment.vertexId === v && t.deployment.subtaskIndex === i))!;
    expect(tmOf('src', 0)).toBe(tmOf('map', 0));
    expect(tmOf('src', 1)).toBe(tmOf('map', 1));
    const map1 = all.find((d) => d.vertexId === 'map' && d.subtaskIndex === 1)!;
    expect(map1.bundleHash).toBe(sha256Hex(bundle));
    expect(map1.programArgs).toEqual(['--x', '1']);
    expect(map1.inputGates).toHaveLength(1);
    expect(map1.inputGates[0]!.map((c) => c.partitionId)).toEqual([`${jobId}/e1/0/0`, `${jobId}/e1/1/0`]);
    expect(map1.inputGates[0]!.every((c) => c.subpartition === 1)).toBe(true);
    expect(map1.inputGates[0]![0]!.producerAddress).toBe(tmOf('src', 0).address);
    expect(map1.inputGates[0]![0]!.producerTaskManagerId).toBe(tmOf('src', 0).taskManagerId);
    const src0 = all.find((d) => d.vertexId === 'src' && d.subtaskIndex === 0)!;
    expect(src0.outputPartitions).toEqual([{ partitionId: `${jobId}/e1/0/0`, numberOfSubpartitions: 3 }]);

    expect((await client.getJob(jobId)).status).toBe('RUNNING');
    for (const tm of tms) await tm.reportAll(jobId, 'RUNNING');
    for (const tm of tms) await tm.reportAll(jobId, 'FINISHED');
    const final = await watched;
    expect(final.status).toBe('FINISHED');
    expect(final.endTime).toBeGreaterThanOrEqual(final.startTime);
    expect(final.vertices.map((v) => [v.name, v.parallelism, v.status])).toEqual([
      ['Source: words', 2, 'FINISHED'],
      ['Map', 3, 'FINISHED'],
    ]);
    expect(updates[0]!.status).toBe('RUNNING');
    expect(updates.at(-1)!.status).toBe('FINISHED');
    expect(await client.listJobs(false)).toEqual([]);
    expect((await client.listJobs(true)).map((j) => j.jobId)).toEqual([jobId]);
    expect(await client.fetchBundle(sha256Hex(bundle))).toEqual(bundle);
    await expect(client.cancelJob(jobId)).rejects.toThrow(new FailedPreconditionError(`Job ${jobId} is already FINISHED and cannot be cancelled.`));
  });

  it('fails the job with the first task failure as its cause and cancels the other tasks', async () => {
    const { client, tms } = await startCluster();
    const tm = tms[0]!;
    const jobId = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(2, 2), programArgs: [] });
    await waitFor(() => tm.tasks.length === 4);
    await tm.reportAll(jobId, 'RUNNING');
    await tm.report(jobId, 'map', 1, 0, 'FAILED', 'Map failed: TypeError: boom');
    const final = await client.watchJob(jobId);
    expect(final.status).toBe('FAILED');
    expect(final.failureCause).toBe('Map failed: TypeError: boom');
    expect(tm.cancels.map((c) => `${c.vertexId}/${c.subtaskIndex}`).sort()).toEqual(['map/0', 'src/0', 'src/1']);
  });

  it('cancels a running job, and reports unknown ids as NotFoundError', async () => {
    const { client, tms } = await startCluster();
    const tm = tms[0]!;
    const jobId = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(1, 2), programArgs: [] });
    await waitFor(() => tm.tasks.length === 3);
    await tm.reportAll(jobId, 'RUNNING');
    await client.cancelJob(jobId);
    const final = await client.watchJob(jobId);
    expect(final.status).toBe('CANCELED');
    expect(tm.cancels).toHaveLength(3);
    const unknown = 'a'.repeat(32);
    await expect(client.cancelJob(unknown)).rejects.toThrow(new NotFoundError(`Job ${unknown} not found.`));
    await expect(client.getJob(unknown)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.watchJob(unknown)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('settles a cancel as CANCELED after heartbeat.timeout when a TaskManager never confirms', async () => {
    const { client, tms } = await startCluster({ 'heartbeat.timeout': 300 });
    const tm = tms[0]!;
    tm.confirmCancels = false;
    const jobId = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(1, 1), programArgs: [] });
    await waitFor(() => tm.tasks.length === 2);
    await tm.reportAll(jobId, 'RUNNING');
    await client.cancelJob(jobId);
    expect((await client.getJob(jobId)).status).toBe('CANCELLING');
    await expect(client.cancelJob(jobId)).resolves.toBeUndefined();
    const final = await client.watchJob(jobId);
    expect(final.status).toBe('CANCELED');
    expect(tm.cancels).toHaveLength(2);
    // the slot is free again: a new job gets deployed
    const next = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(2, 1), programArgs: [] });
    await waitFor(() => tm.tasks.filter((t) => t.deployment.jobId === next).length === 3);
  });

  it('refuses garbage with InvalidArgumentError', async () => {
    const { client } = await startCluster();
    const bad = { ...twoVertexJobGraph(1, 1), vertices: [] };
    await expect(client.submitJob({ bundle, jobGraph: bad, programArgs: [] })).rejects.toThrow(new InvalidArgumentError('invalid job graph: it has no vertices'));
    await expect(client.submitJob({ bundle, jobGraph: twoVertexJobGraph(1, 1), programArgs: [], jobId: 'nope' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.submitJob({ bundle: Buffer.alloc(0), jobGraph: twoVertexJobGraph(1, 1), programArgs: [] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.heartbeat('ghost', 'x')).rejects.toThrow(new NotFoundError('TaskManager ghost is not registered.'));
    await expect(client.fetchBundle('0'.repeat(64))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('waits for slots, runs once a TaskManager registers, and fails after slot.request.timeout', async () => {
    const { jm, client, tms } = await startCluster({ 'slot.request.timeout': 600 }, [1]);
    // needs 3 slots, one is there: a second TaskManager with 2 slots arrives in time
    const waiting = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(3, 1), programArgs: [] });
    await new Promise((r) => setTimeout(r, 100));
    expect((await client.getJob(waiting)).vertices[0]!.status).toBe('SCHEDULED');
    const late = new FakeTaskManager(jm.address, 2);
    await late.start();
    cleanups.push(() => late.stop());
    await waitFor(() => tms[0]!.tasks.length + late.tasks.length === 4);
    await client.cancelJob(waiting);
    expect((await client.watchJob(waiting)).status).toBe('CANCELED');

    // needs 5 slots, the cluster has 3: fails after the timeout
    const started = Date.now();
    const starving = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(5, 2), programArgs: [] });
    const final = await client.watchJob(starving);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(final.status).toBe('FAILED');
    expect(final.failureCause).toBe('Could not acquire the required slots: the job needs 5 slots, the cluster has 3 free (3 total).');
  });

  it('marks a silent TaskManager lost and fails its job', async () => {
    const { client, tms } = await startCluster({ 'heartbeat.timeout': 300 });
    const tm = tms[0]!;
    tm.confirmCancels = false;
    const jobId = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(1, 1), programArgs: [] });
    await waitFor(() => tm.tasks.length === 2);
    await tm.reportAll(jobId, 'RUNNING');
    tm.stopHeartbeats();
    const final = await client.watchJob(jobId);
    expect(final.status).toBe('FAILED');
    expect(final.failureCause).toMatch(new RegExp(`^TaskManager ${tm.taskManagerId} at ${tm.address} is lost: no heartbeat for \\d+ ms`));
    await expect(client.heartbeat(tm.taskManagerId, tm.registrationId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('restarts all tasks with attempt + 1 under a fixed-delay strategy, then fails when attempts run out', async () => {
    const { client, tms } = await startCluster();
    const tm = tms[0]!;
    const jobId = await client.submitJob({ bundle, jobGraph: twoVertexJobGraph(1, 1, { type: 'fixed-delay', attempts: 1, delayMs: 50 }), programArgs: [] });
    await waitFor(() => tm.tasks.length === 2);
    await tm.report(jobId, 'src', 0, 0, 'FAILED', 'Source: words failed: Error: first');
    await waitFor(() => tm.tasks.filter((t) => t.deployment.attempt === 1).length === 2, 5_000, 'redeployment');
    const redeployed = tm.tasks.find((t) => t.deployment.vertexId === 'map' && t.deployment.attempt === 1)!;
    expect(redeployed.deployment.inputGates[0]![0]!.partitionId).toBe(`${jobId}/e1/0/1`);
    expect((await client.getJob(jobId)).status).toBe('RUNNING');
    // a stale report of the old attempt changes nothing
    await tm.report(jobId, 'map', 0, 0, 'FAILED', 'stale');
    expect((await client.getJob(jobId)).status).toBe('RUNNING');
    await tm.report(jobId, 'map', 0, 1, 'FAILED', 'Map failed: Error: second');
    const final = await client.watchJob(jobId);
    expect(final.status).toBe('FAILED');
    expect(final.failureCause).toBe('Map failed: Error: second');
  });
});

describe('JobManagerClient', () => {
  it('fails with UnavailableError within the connect timeout when nothing listens', async () => {
    const client = new JobManagerClient('127.0.0.1:1', { connectTimeoutMs: 300 });
    const started = Date.now();
    await expect(client.listJobs(true)).rejects.toThrow(new UnavailableError('JobManager at 127.0.0.1:1 is not reachable'));
    expect(Date.now() - started).toBeLessThan(2_000);
    client.close();
  });
});
