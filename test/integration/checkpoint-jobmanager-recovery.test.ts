import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { CheckpointingTaskManager } from './checkpoint-harness.js';
import { twoVertexJobGraph, waitFor } from './jobmanager-harness.js';

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
    // Checkpoint ids continue after the restored one.
    await waitFor(() => second.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint() !== undefined, 10_000, 'a checkpoint after recovery');
    expect(second.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()!.checkpointId).toBeGreaterThan(latest.checkpointId);

    await client2.cancelJob(jobId);
    await waitFor(async () => (await client2.getJob(jobId)).status === 'CANCELED', 5_000, 'cancelled');
    await waitFor(async () => (await readdir(join(dir, 'ha', 'jobs'))).length === 0, 5_000, 'HA record removed');
  });
});
