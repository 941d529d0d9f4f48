/**
 * Exactly-once with incremental checkpoints: chains of 10+ files (one full snapshot, then
 * deltas) through TaskManager SIGKILLs at retention 1, and across a JobManager restart at
 * retention 3; while the job runs, every file a retained checkpoint references exists (the
 * shared state registry never deletes one), and once the job's checkpoints are deleted (job
 * FINISHED, or cancelled with DELETE_ON_CANCELLATION) no shared file is left.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointMetadata } from '../../src/checkpoint/checkpoint-types.js';
import { checkOutput, describeCheck, KillableCluster, randomBetween, sleep } from './exactly-once-harness.js';

const KEYS = 3000;

/** Watches the retained checkpoints of a job: their chain files exist, and how long chains got. */
class ChainWatcher {
  longestChain = 0;
  missing: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly jobDir: string) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.look();
      await sleep(40);
    }
  }

  private look(): void {
    if (!existsSync(this.jobDir)) return;
    for (const name of readdirSync(this.jobDir).filter((d) => /^chk-\d+$/.test(d))) {
      const dir = join(this.jobDir, name);
      let metadata: CheckpointMetadata;
      try {
        metadata = JSON.parse(readFileSync(join(dir, '_metadata'), 'utf8')) as CheckpointMetadata;
      } catch {
        continue; // in flight, or being discarded
      }
      const missing: string[] = [];
      for (const op of metadata.operators) {
        for (const s of op.subtasks) {
          const chain = s.keyed?.chain ?? [];
          this.longestChain = Math.max(this.longestChain, chain.length);
          for (const f of chain) if (!existsSync(join(this.jobDir, 'shared', f.path))) missing.push(`${name}: ${f.path}`);
        }
      }
      // A checkpoint discarded meanwhile (subsumed) no longer holds its files.
      if (missing.length > 0 && existsSync(join(dir, '_metadata'))) this.missing.push(...missing);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

function sharedLeft(jobDir: string): string[] {
  const dir = join(jobDir, 'shared');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function waitForCheckpoint(cluster: KillableCluster, jobId: string, atLeast: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((cluster.completedCheckpoints(jobId).at(-1) ?? 0) < atLeast) {
    if (Date.now() > deadline) throw new Error(`no checkpoint ${atLeast}\n${cluster.logs()}`);
    await sleep(50);
  }
}

describe('exactly-once with incremental checkpoints', () => {
  const clusters: KillableCluster[] = [];
  afterAll(async () => {
    for (const c of clusters) await c.stop();
  });

  it('retention 1: chains of 10+ checkpoints through two TaskManager SIGKILLs, every record committed once, no retained file deleted', async () => {
    const cluster = new KillableCluster({
      taskManagers: 2,
      slots: 2,
      extra: ['-D', 'state.checkpoints.num-retained=1', '-D', 'state.backend.incremental.max-chain-length=30', '-D', 'state.backend.incremental.max-delta-ratio=100'],
    });
    clusters.push(cluster);
    await cluster.start();
    const records = 36_000;
    const jobId = await cluster.submit({ records, keys: KEYS, ratePerSecond: 3000, checkpointIntervalMs: 150, parallelism: 2 });
    const watcher = new ChainWatcher(join(cluster.checkpointsDir, jobId));
    await cluster.waitForJobState(jobId, 'RUNNING');
    await waitForCheckpoint(cluster, jobId, 12);
    for (let kill = 0; kill < 2; kill++) {
      await sleep(randomBetween(50, 300));
      await cluster.replaceTaskManager(randomBetween(0, cluster.taskManagers.length));
      await cluster.waitForJobState(jobId, 'RUNNING');
      await waitForCheckpoint(cluster, jobId, (cluster.completedCheckpoints(jobId).at(-1) ?? 0) + 3);
    }
    await cluster.waitForJobState(jobId, 'FINISHED', 90_000);
    await watcher.stop();
    expect(watcher.longestChain).toBeGreaterThanOrEqual(10);
    expect(watcher.missing).toEqual([]);
    const check = checkOutput(cluster.outputDir, records, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(records);
    expect(sharedLeft(join(cluster.checkpointsDir, jobId))).toEqual([]);
  });

  it('retention 3: a JobManager restart keeps every retained chain; cancelled with DELETE_ON_CANCELLATION no shared file is left', async () => {
    const cluster = new KillableCluster({
      taskManagers: 2,
      slots: 2,
      extra: ['-D', 'state.checkpoints.num-retained=3', '-D', 'state.backend.incremental.max-chain-length=30', '-D', 'state.backend.incremental.max-delta-ratio=100'],
    });
    clusters.push(cluster);
    await cluster.start();
    const jobId = await cluster.submit({ records: Number.MAX_SAFE_INTEGER, keys: KEYS, ratePerSecond: 3000, checkpointIntervalMs: 150, parallelism: 2 });
    const jobDir = join(cluster.checkpointsDir, jobId);
    const watcher = new ChainWatcher(jobDir);
    await cluster.waitForJobState(jobId, 'RUNNING');
    await waitForCheckpoint(cluster, jobId, 12);
    await sleep(randomBetween(50, 300));
    await cluster.jobManager.kill('SIGKILL');
    await sleep(300);
    cluster.startJobManager();
    await cluster.waitForRegistrations(2);
    await cluster.waitForJobState(jobId, 'RUNNING');
    const before = cluster.completedCheckpoints(jobId).at(-1) ?? 0;
    await waitForCheckpoint(cluster, jobId, before + 12);
    await watcher.stop();
    expect(watcher.longestChain).toBeGreaterThanOrEqual(10);
    expect(watcher.missing).toEqual([]);
    await cluster.cancel(jobId);
    await cluster.waitForJobState(jobId, 'CANCELED', 60_000);
    const deadline = Date.now() + 30_000;
    while ((sharedLeft(jobDir).length > 0 || existsSync(jobDir)) && Date.now() < deadline) await sleep(100);
    expect(sharedLeft(jobDir)).toEqual([]);
    expect(existsSync(jobDir)).toBe(false);
    const check = checkOutput(cluster.outputDir, 0, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
  });
});
