/**
 * The restore policy at a failover, through a real JobManager and a TaskManager double: when the
 * restore refuses the only retained checkpoint as damaged, the job FAILS with one line naming
 * it and the damage (no restarts, whatever the restart strategy still allows) — unless the job
 * opted in to starting from empty state, which is then logged loudly. Also: the `chk-*`
 * directories on disk never exceed num-retained plus the one in flight (leftovers of late writers
 * are collected), and none is left once the job FINISHED.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { loadConfig, type FlussConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { CheckpointingTaskManager } from './checkpoint-harness.js';
import { twoVertexJobGraph, waitFor } from './jobmanager-harness.js';

const bundle = Buffer.from('module.exports = { default: () => {} };');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cluster(overrides: Partial<Record<keyof FlussConfig, unknown>>, logger = silentLogger()) {
  const dir = await mkdtemp(join(tmpdir(), 'fluss-restore-policy-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = loadConfig({
    properties: '',
    overrides: { 'jobmanager.rpc.port': 0, 'rest.port': 0, 'heartbeat.interval': 50, 'heartbeat.timeout': 1_000, 'state.checkpoints.dir': join(dir, 'checkpoints'), ...overrides },
  });
  const jm = new JobManager(config, logger);
  await jm.start();
  cleanups.push(() => jm.stop());
  const tm = new CheckpointingTaskManager(jm.address, 2);
  await tm.start();
  cleanups.push(() => tm.stop());
  const client = new JobManagerClient(jm.address, { connectTimeoutMs: 2_000 });
  cleanups.push(() => client.close());
  const graph = twoVertexJobGraph(2, 1, { type: 'fixed-delay', attempts: 5, delayMs: 0 });
  graph.settings.checkpoint = { ...graph.settings.checkpoint, intervalMs: 100, timeoutMs: 5_000 };
  const jobId = await client.submitJob({ bundle, jobGraph: graph, programArgs: [] });
  const coordinator = () => jm.dispatcher.jobMaster(jobId)!.checkpointing.coordinator;
  await waitFor(() => coordinator().latestCompletedCheckpoint() !== undefined, 10_000, 'a checkpoint');
  return { dir, jm, tm, client, jobId, coordinator, chkDirs: async () => (await readdir(join(dir, 'checkpoints', jobId)).catch(() => [])).filter((n) => n.startsWith('chk-')) };
}

/** Fails a running task, then refuses the restore of the redeployment as the TaskManager does for a damaged file. */
async function failThenRefuseRestore(c: Awaited<ReturnType<typeof cluster>>): Promise<string> {
  c.tm.acknowledge = false;
  const checkpoint = c.coordinator().latestCompletedCheckpoint()!;
  const before = c.tm.deployments.length;
  const map = c.tm.current(c.jobId).find((d) => d.vertexId === 'map')!;
  await c.tm.report(map, 'FAILED', 'Map (1/1) failed: the user function threw');
  await waitFor(() => c.tm.current(c.jobId).every((d) => d.attempt > map.attempt) && c.tm.deployments.length >= before + 3, 5_000, 'the restart');
  const redeployed = c.tm.current(c.jobId).find((d) => d.vertexId === 'map')!;
  expect(redeployed.restore?.checkpointDir).toBe(checkpoint.externalPath);
  const damage = `damaged checkpoint ${checkpoint.externalPath}: state file op-map-0.state does not match its checksum (3 bytes, sha256 000000000000…; expected 41 bytes, 111111111111…)`;
  await c.tm.report(redeployed, 'FAILED', `Map (1/1) failed: ${damage}`);
  return damage;
}

describe('restore policy at a failover', () => {
  it('fails the job with one line when the only retained checkpoint is damaged, instead of starting over from empty state', async () => {
    const c = await cluster({ 'state.checkpoints.num-retained': 1 });
    const damage = await failThenRefuseRestore(c);
    await waitFor(async () => (await c.client.getJob(c.jobId)).status === 'FAILED', 5_000, 'FAILED');
    const info = await c.client.getJob(c.jobId);
    expect(info.failureCause).toContain(`cannot be restored: ${damage}`);
    expect(info.failureCause).toContain('execution.checkpointing.restore-from-empty-on-damage');
    expect(info.failureCause).not.toContain('\n');
    // Nothing was deployed without state.
    expect(c.tm.deployments.filter((d) => d.jobId === c.jobId && d.attempt > 0 && d.restore === undefined)).toEqual([]);
    // A FAILED job keeps its (damaged) checkpoint for inspection.
    expect(await c.chkDirs()).toHaveLength(1);
  });

  it('with execution.checkpointing.restore-from-empty-on-damage, restarts from empty state and says so loudly', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const c = await cluster({ 'state.checkpoints.num-retained': 1, 'execution.checkpointing.restore-from-empty-on-damage': true }, logger);
    await failThenRefuseRestore(c);
    await waitFor(() => c.tm.current(c.jobId).every((d) => d.attempt >= 2), 5_000, 'the restart from empty state');
    expect(c.tm.current(c.jobId).map((d) => d.restore)).toEqual([undefined, undefined, undefined]);
    expect((await c.client.getJob(c.jobId)).status).toBe('RUNNING');
    const warning = lines.find((l) => l['level'] === 40 && String(l['msg']).includes('EMPTY STATE'));
    expect(warning?.['msg']).toContain(`of job ${c.jobId} cannot be restored: damaged checkpoint`);
  });

  it('keeps at most num-retained checkpoints plus the one in flight on disk, and none once the job FINISHED', async () => {
    const c = await cluster({ 'state.checkpoints.num-retained': 2 });
    const counts: number[] = [];
    const deadline = Date.now() + 15_000;
    while ((c.coordinator().latestCompletedCheckpoint()?.checkpointId ?? 0) < 8 && Date.now() < deadline) {
      counts.push((await c.chkDirs()).length);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Math.max(...counts)).toBeLessThanOrEqual(2 + 1);
    // A directory of an aborted checkpoint that a late writer brought back is collected by the next checkpoint.
    const latest = c.coordinator().latestCompletedCheckpoint()!.checkpointId;
    await mkdir(join(c.dir, 'checkpoints', c.jobId, `chk-${latest - 3}`), { recursive: true });
    await writeFile(join(c.dir, 'checkpoints', c.jobId, `chk-${latest - 3}`, 'op-src-0.state'), 'late');
    await waitFor(() => c.coordinator().latestCompletedCheckpoint()!.checkpointId > latest + 1, 5_000, 'two more checkpoints');
    expect(await c.chkDirs()).not.toContain(`chk-${latest - 3}`);
    // And one left behind in the end goes when the job FINISHED.
    await mkdir(join(c.dir, 'checkpoints', c.jobId, 'chk-1'), { recursive: true });
    c.tm.acknowledge = false;
    for (const d of c.tm.current(c.jobId)) await c.tm.report(d, 'FINISHED');
    await waitFor(async () => (await c.client.getJob(c.jobId)).status === 'FINISHED', 5_000, 'FINISHED');
    await waitFor(async () => (await c.chkDirs()).length === 0, 5_000, 'no chk-* directory left');
  });
});
