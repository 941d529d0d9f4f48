import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointMetadata } from '../../src/checkpoint/checkpoint-types.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { checkpoint, runJob, until, writeMetadata, type JobRun } from './checkpoint-task-harness.js';
import { op } from './runtime-test-jobs.js';

type Pair = [number, number];
let root: string;
let chk: string;
let metadata: CheckpointMetadata;
const runs: JobRun[] = [];

function job(restore?: { checkpointDir: string; checkpointId: number; allowNonRestoredState: boolean }): JobRun {
  const run = runJob({
    producer: () => [op('source', 'Source', new DataGeneratorSource((i) => i, restore ? 500 : Infinity, { ratePerSecond: 5000 })), op('map', 'Pair', (i: number): Pair => [i % 5, 1])],
    producerParallelism: 1,
    consumer: () => [op('keyedReduce', 'Count', (a: Pair, b: Pair): Pair => [a[0], a[1] + b[1]], { key: (p: Pair) => p[0] }), op('sink', 'Sink', () => undefined)],
    consumerParallelism: 2,
    key: (p: Pair) => p[0],
    attempt: restore ? 1 : 0,
    restore,
  });
  runs.push(run);
  return run;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fluss-damaged-'));
  chk = join(root, 'chk-3');
  const first = job();
  await until(() => first.tasks.every((t) => t.executionState === 'RUNNING'));
  await new Promise((r) => setTimeout(r, 50));
  metadata = await writeMetadata(first, 3, chk, await checkpoint(first, 3, chk));
  for (const t of first.tasks) t.cancel();
  await first.done;
});

afterAll(async () => {
  for (const r of runs) await r.network.close();
  await rm(root, { recursive: true, force: true });
});

async function withMetadata(m: CheckpointMetadata, dir: string): Promise<void> {
  await writeFile(join(dir, '_metadata'), JSON.stringify(m));
}

describe('restoring a checkpoint', () => {
  it('acks name every operator, with keyed state only for the keyed one', () => {
    const count = metadata.operators.find((o) => o.name === 'Count')!;
    expect([...count.subtasks].sort((a, b) => a.subtaskIndex - b.subtaskIndex).map((s) => s.keyed?.keyGroupRange)).toEqual([{ start: 0, end: 63 }, { start: 64, end: 127 }]);
    const source = metadata.operators.find((o) => o.name === 'Source')!;
    expect(source.subtasks[0]!.operatorState?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(metadata.operators.find((o) => o.name === 'Sink')!.subtasks[0]!.keyed).toBeUndefined();
  });

  it('refuses a damaged state file, naming it', async () => {
    const keyed = metadata.operators.find((o) => o.name === 'Count')!.subtasks.find((s) => s.subtaskIndex === 1)!.keyed!;
    const handle = keyed.file;
    // Incremental checkpoints (the default) keep their files in the job's shared directory.
    const path = join(keyed.chain ? join(chk, '..', 'shared') : chk, handle.path);
    const original = await readFile(path);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 1] ^= 0xff;
    await writeFile(path, damaged);
    try {
      const run = job({ checkpointDir: chk, checkpointId: 3, allowNonRestoredState: false });
      await run.done;
      // Subtask 0 reads only its own key groups (0-63); subtask 1 reads the damaged file.
      expect(run.states.get('B1')!.at(-1)).toBe('FAILED');
      expect(run.errors.get('B1')!.message).toContain('damaged checkpoint');
      expect(run.errors.get('B1')!.message).toContain(handle.path);
    } finally {
      await writeFile(path, original);
    }
  });

  it('refuses state of an operator the job no longer has, unless allowNonRestoredState', async () => {
    const dir = join(root, 'chk-3-extra');
    const { cp } = await import('node:fs/promises');
    await cp(chk, dir, { recursive: true });
    const count = metadata.operators.find((o) => o.name === 'Count')!;
    await withMetadata({ ...metadata, operators: [...metadata.operators, { ...count, operatorId: 'ff'.repeat(16), name: 'Removed' }] }, dir);
    const refused = job({ checkpointDir: dir, checkpointId: 3, allowNonRestoredState: false });
    await refused.done;
    // Whichever task reads _metadata first fails; the others are taken down with it.
    const errors = [...refused.errors.values()];
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.message).toContain('Removed');
      expect(e.message).toContain('allowNonRestoredState');
    }
    expect([...refused.states.values()].every((s) => s.at(-1) === 'FAILED' || s.at(-1) === 'CANCELED')).toBe(true);

    const allowed = job({ checkpointDir: dir, checkpointId: 3, allowNonRestoredState: true });
    await allowed.done;
    for (const [name, s] of allowed.states) expect(s, `${name}: ${allowed.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
  });
});
