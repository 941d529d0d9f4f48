/**
 * A job's own checkpoint directory (`new RocksDBStateBackend(dir)`, `new FsStateBackend(dir)`,
 * `setCheckpointStorage(dir)` → `settings.checkpointStorage`) on a real JobManager: it wins over
 * the cluster's `state.checkpoints.dir`, stays inside the configured directories, and a location
 * Fluss cannot write is refused at submission in one line.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
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

async function startCluster(dir: string, overrides: Record<string, unknown> = {}) {
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
  return { jm, client, tm };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fluss-job-cp-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function withStorage(checkpointStorage: string | undefined, intervalMs = 100): JobGraph {
  const g = twoVertexJobGraph(2, 1, { type: 'fixed-delay', attempts: 3, delayMs: 0 });
  g.settings.checkpoint = { ...g.settings.checkpoint, intervalMs, timeoutMs: 5_000 };
  if (checkpointStorage !== undefined) g.settings.checkpointStorage = checkpointStorage;
  return g;
}

const exists = async (p: string): Promise<boolean> => (await stat(p).catch(() => undefined)) !== undefined;

describe("a job's own checkpoint directory", () => {
  it("wins over the cluster's state.checkpoints.dir: chk-<n>/_metadata under <job dir>/<jobId>, nothing under the cluster's", async () => {
    const dir = await tempDir();
    const { jm, client, tm } = await startCluster(dir);
    const own = join(dir, 'checkpoints', 'rocksdb-job');
    // Flink's file:// form of the directory.
    const jobId = await client.submitJob({ bundle, jobGraph: withStorage(pathToFileURL(own).href), programArgs: [] });
    await waitFor(() => tm.completed.filter((n) => n.vertexId === 'map').length >= 2, 20_000, 'two completed checkpoints');
    const latest = jm.dispatcher.jobMaster(jobId)!.checkpointing.coordinator.latestCompletedCheckpoint()!;
    expect(latest.externalPath).toBe(join(own, jobId, `chk-${latest.checkpointId}`));
    expect(await exists(join(latest.externalPath, '_metadata'))).toBe(true);
    expect(await exists(join(dir, 'checkpoints', jobId))).toBe(false);
    const res = await fetch(`http://${jm.restAddress}/jobs/${jobId}/checkpoints`);
    const body = (await res.json()) as { latest: { completed: { external_path: string } | null } };
    expect(body.latest.completed?.external_path.startsWith(join(own, jobId))).toBe(true);
    await client.cancelJob(jobId);
    await waitFor(async () => (await client.getJob(jobId)).status === 'CANCELED', 10_000, 'cancel');
    // DELETE_ON_CANCELLATION cleans up the job's own directory, as it does the cluster's.
    await waitFor(async () => !(await exists(join(own, jobId))), 10_000, 'checkpoints removed');
  });

  it('lets a checkpointing job run on a cluster without any checkpoint directory', async () => {
    const dir = await tempDir();
    const { client, tm } = await startCluster(dir, { 'state.checkpoints.dir': undefined, 'state.savepoints.dir': undefined });
    const own = join(dir, 'elsewhere');
    const jobId = await client.submitJob({ bundle, jobGraph: withStorage(own), programArgs: [] });
    await waitFor(() => tm.completed.filter((n) => n.vertexId === 'map').length >= 1, 20_000, 'a completed checkpoint');
    const chks = (await readdir(join(own, jobId))).filter((d) => d.startsWith('chk-'));
    expect(chks.length).toBeGreaterThanOrEqual(1);
  });

  it('is refused at submission, in one line, when Fluss cannot write it or may not', async () => {
    const dir = await tempDir();
    const { client } = await startCluster(dir);
    const refusal = async (location: string): Promise<string> => {
      const err = (await client.submitJob({ bundle, jobGraph: withStorage(location), programArgs: [] }).then(
        () => undefined,
        (e: unknown) => e,
      )) as Error | undefined;
      expect(err, `${location} was accepted`).toBeInstanceOf(Error);
      expect(err!.message).not.toContain('\n');
      return err!.message;
    };
    const hdfs = await refusal('hdfs://namenode:9000/fluss/checkpoints');
    expect(hdfs).toContain('Job "word count": checkpoint directory "hdfs://namenode:9000/fluss/checkpoints" uses the hdfs:// scheme, which Fluss cannot write');
    expect(hdfs).toContain('an absolute path on a filesystem the JobManager and every TaskManager share');
    expect(hdfs).toContain('file:// URI');
    expect(await refusal('s3://bucket/checkpoints')).toContain('uses the s3:// scheme');
    expect(await refusal('checkpoints/relative')).toContain('is relative');
    expect(await refusal('file://namenode/fluss/checkpoints')).toContain('is not a usable file:// URI');
    expect(await refusal(join(dir, 'not-configured'))).toContain('is outside the configured directories');
    expect(await refusal(join(dir, 'checkpoints', '..', '..', 'escape'))).toContain('is outside the configured directories');
    // Not even a non-checkpointing job may name one: the directory is part of what it asks for.
    await expect(client.submitJob({ bundle, jobGraph: withStorage('hdfs://namenode:9000/x', 0), programArgs: [] })).rejects.toThrow('hdfs:// scheme');
    expect(await exists(join(dir, 'not-configured'))).toBe(false);
  });
});
