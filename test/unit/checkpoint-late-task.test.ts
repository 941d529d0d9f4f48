/**
 * A task never creates a checkpoint directory: the JobManager creates it before triggering and
 * deletes it when the checkpoint is aborted, so a task that reaches the barrier late (a stale
 * attempt, a TaskManager resumed after SIGSTOP) must not bring it back as an orphan.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointRequest } from '../../src/checkpoint/checkpoint-types.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { runJob, until, type JobRun } from './checkpoint-task-harness.js';
import { op } from './runtime-test-jobs.js';

type Pair = [number, number];
const runs: JobRun[] = [];
let root = '';

afterAll(async () => {
  for (const r of runs) {
    for (const t of r.tasks) t.cancel();
    await r.done.catch(() => undefined);
    await r.network.close();
  }
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a task taking a checkpoint whose directory is gone', () => {
  it('declines it and does not recreate the directory', async () => {
    root = await mkdtemp(join(tmpdir(), 'fluss-late-task-'));
    const run = runJob({
      producer: () => [op('source', 'Source', new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: 2000 })), op('map', 'Pair', (i: number): Pair => [i % 5, 1])],
      producerParallelism: 1,
      consumer: () => [op('keyedReduce', 'Count', (a: Pair, b: Pair): Pair => [a[0], a[1] + b[1]], { key: (p: Pair) => p[0] }), op('sink', 'Sink', () => undefined)],
      consumerParallelism: 2,
      key: (p: Pair) => p[0],
    });
    runs.push(run);
    await until(() => run.tasks.every((t) => t.executionState === 'RUNNING'));
    // The coordinator aborted checkpoint 4 and deleted chk-4 before this task got to it.
    const gone = join(root, 'chk-4');
    const request: CheckpointRequest = { checkpointId: 4, timestamp: Date.now(), savepoint: false, aligned: true, targetDir: gone };
    for (const t of run.sources) t.triggerCheckpoint(request);
    await until(() => run.declines.length + run.acks.length >= run.tasks.length, 10_000, 'every task to answer checkpoint 4');
    expect(run.acks).toEqual([]);
    expect(run.declines.every((d) => d.checkpointId === 4)).toBe(true);
    expect(existsSync(gone)).toBe(false);
  });
});
