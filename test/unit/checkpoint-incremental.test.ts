import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointMetadata, TaskRestore } from '../../src/checkpoint/checkpoint-types.js';
import { loadRestorePoint } from '../../src/checkpoint/checkpoint-storage-restore.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { FileSink } from '../../src/connectors/file-sink.js';
import { createKeyedStateBackendFactory, type StateBackendKind } from '../../src/state/keyed-state-backend-factory.js';
import { cleanUpAfterEach, checkpoint, runJob, until, writeMetadata } from './checkpoint-task-harness.js';
import { op } from './runtime-test-jobs.js';

const KEYS = 50;
const { runs, tmp } = cleanUpAfterEach();

type Agg = [key: number, count: number, sum: number];

// Deltas here hold every key again (the state is tiny): no materialization by size.
const INCREMENTAL = { maxLength: 20, maxDeltaRatio: 1000, changelogBytes: 16 << 20 };

/** source(0..n-1) → (i % KEYS, 1, i) ⇒ keyBy → running (count, sum) ⇒ FileSink, incremental LevelDB checkpoints. */
function job(n: number, rate: number | undefined, p: number, out: string, backend: StateBackendKind, stateDir: string, extra: { restore?: TaskRestore; attempt?: number } = {}) {
  const run = runJob({
    producer: () => [
      op('source', 'Source', new DataGeneratorSource((i) => i, n, rate ? { ratePerSecond: rate } : undefined)),
      op('map', 'Pair', (i: number): Agg => [i % KEYS, 1, i]),
    ],
    producerParallelism: 2,
    consumer: () => [
      op('keyedReduce', 'Sum', (x: Agg, y: Agg): Agg => [x[0], x[1] + y[1], x[2] + y[2]], { key: (a: Agg) => a[0] }),
      op('sink', 'Files', FileSink.forRowFormat<Agg>(out, (a) => a.join(','))),
    ],
    consumerParallelism: p,
    key: (a: Agg) => a[0],
    backend: createKeyedStateBackendFactory({ kind: backend, stateDir, cacheBytes: 1 << 20, incremental: INCREMENTAL }),
    ...extra,
  });
  runs.push(run);
  return run;
}

async function committed(dir: string): Promise<Agg[]> {
  const out: Agg[] = [];
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue;
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line) out.push(line.split(',').map(Number) as Agg);
  }
  return out;
}

/** A LevelDB job at parallelism 2 taking `count` checkpoints mid-stream, then failed. */
async function checkpointedRun(n: number, count: number) {
  const out = await tmp('fluss-inc-out-');
  const state = await tmp('fluss-inc-state-');
  const jobDir = await tmp('fluss-inc-chk-');
  // The source runs for n / 2000 s: long enough for every checkpoint even on a loaded machine.
  const first = job(n, 2000, 2, out, 'leveldb', state);
  await until(() => first.tasks.every((t) => t.executionState === 'RUNNING'));
  const metadata: CheckpointMetadata[] = [];
  for (let id = 1; id <= count; id++) {
    await new Promise((r) => setTimeout(r, 40));
    const chk = join(jobDir, `chk-${id}`);
    const acks = await checkpoint(first, id, chk);
    metadata.push(await writeMetadata(first, id, chk, acks));
    for (const t of first.tasks) t.notifyCheckpointComplete(id);
  }
  await new Promise((r) => setTimeout(r, 50));
  for (const t of first.tasks) t.cancel();
  await first.done;
  return { out, state, jobDir, metadata, acks: first.acks };
}

function keyedOf(m: CheckpointMetadata) {
  return m.operators.flatMap((o) => o.subtasks).filter((s) => s.keyed).map((s) => s.keyed!);
}

describe('incremental LevelDB checkpoints through the task', () => {
  it('a chain of 12 checkpoints writes deltas to the shared directory; restored at parallelism 3 every index is emitted exactly once', async () => {
    const n = 40_000;
    const { out, state, jobDir, metadata, acks } = await checkpointedRun(n, 12);
    const last = metadata.at(-1)!;
    const keyed = keyedOf(last);
    expect(keyed).toHaveLength(2);
    for (const k of keyed) {
      expect(k.format).toBe('leveldb-native');
      // One base and a delta per later checkpoint.
      expect(k.chain).toHaveLength(12);
      expect(k.chain!.at(-1)).toEqual(k.file);
      // The chain grows: checkpoint 12's chain starts with checkpoint 11's.
      const before = keyedOf(metadata.at(-2)!).find((o) => o.keyGroupRange.start === k.keyGroupRange.start)!;
      expect(k.chain!.slice(0, 11)).toEqual(before.chain);
    }
    const shared = await readdir(join(jobDir, 'shared'));
    expect(shared).toHaveLength(24);
    expect(shared.every((f) => /^chk-\d+-/.test(f))).toBe(true);
    // A delta holds the changes of KEYS keys at most (plus the file header), never the whole state again.
    const consumerAcks = acks.filter((a) => a.checkpointId === 12 && a.operators.some((o) => o.keyed));
    for (const a of consumerAcks) expect(a.stats.checkpointedSize!).toBeLessThan(a.stats.stateSize);
    // The JobManager's validation follows the chain into the shared directory.
    const second = job(n, undefined, 3, out, 'leveldb', state, { attempt: 1, restore: { checkpointDir: join(jobDir, 'chk-12'), checkpointId: 12, allowNonRestoredState: false } });
    await expect(loadRestorePoint(join(jobDir, 'chk-12'), second.jobGraph, false)).resolves.toBeDefined();
    await second.done;
    for (const [name, s] of second.states) expect(s, `${name}: ${second.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    const lines = await committed(out);
    expect(lines).toHaveLength(n);
    for (let k = 0; k < KEYS; k++) {
      const mine = lines.filter((l) => l[0] === k).map((l) => l[1]).sort((a, b) => a - b);
      expect(mine).toEqual(Array.from({ length: n / KEYS }, (_, i) => i + 1));
    }
  });

  it('a restore at the same parallelism continues its chain: the next checkpoint is a delta over it, in the same job only; exactly once', async () => {
    const n = 40_000;
    const { out, state, jobDir, metadata } = await checkpointedRun(n, 4);
    const restoredChains = new Map(keyedOf(metadata.at(-1)!).map((k) => [k.keyGroupRange.start, k.chain!] as const));
    const restore = { checkpointDir: join(jobDir, 'chk-4'), checkpointId: 4, allowNonRestoredState: false };
    // Restored and checkpointed into the same job's directory: a delta on top of the restored chain.
    const second = job(n, 2000, 2, out, 'leveldb', state, { attempt: 1, restore });
    await until(() => second.tasks.every((t) => t.executionState === 'RUNNING'));
    await new Promise((r) => setTimeout(r, 40));
    const chk5 = join(jobDir, 'chk-5');
    const acks5 = await checkpoint(second, 5, chk5);
    const meta5 = await writeMetadata(second, 5, chk5, acks5);
    for (const t of second.tasks) t.notifyCheckpointComplete(5);
    for (const k of keyedOf(meta5)) {
      const before = restoredChains.get(k.keyGroupRange.start)!;
      expect(k.chain).toHaveLength(before.length + 1);
      expect(k.chain!.slice(0, before.length)).toEqual(before);
    }
    for (const a of acks5.filter((x) => x.operators.some((o) => o.keyed))) expect(a.stats.checkpointedSize!).toBeLessThan(a.stats.stateSize);
    // Fail after checkpoint 5 and restore from it: every index exactly once.
    await new Promise((r) => setTimeout(r, 50));
    for (const t of second.tasks) t.cancel();
    await second.done;
    const last = job(n, undefined, 2, out, 'leveldb', state, { attempt: 2, restore: { checkpointDir: chk5, checkpointId: 5, allowNonRestoredState: false } });
    await last.done;
    for (const [name, st] of last.states) expect(st, `${name}: ${last.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    const lines = await committed(out);
    expect(lines).toHaveLength(n);
    for (let k = 0; k < KEYS; k++) {
      const mine = lines.filter((l) => l[0] === k).map((l) => l[1]).sort((a, b) => a - b);
      expect(mine).toEqual(Array.from({ length: n / KEYS }, (_, i) => i + 1));
    }
    // The same restore checkpointed into another job's directory starts a new base there.
    const otherJob = await tmp('fluss-inc-other-');
    // (Same output directory: the restored sink state names its files.)
    const third = job(n, 2000, 2, out, 'leveldb', await tmp('fluss-inc-state3-'), { attempt: 3, restore });
    await until(() => third.tasks.every((t) => t.executionState === 'RUNNING') || third.errors.size > 0);
    expect([...third.errors.values()].map((e) => e.message)).toEqual([]);
    const chkOther = join(otherJob, 'chk-5');
    const acksOther = await checkpoint(third, 5, chkOther);
    for (const k of keyedOf(await writeMetadata(third, 5, chkOther, acksOther))) expect(k.chain).toHaveLength(1);
    for (const t of third.tasks) t.cancel();
    await third.done;
  });

  it('a damaged file of the chain refuses every checkpoint that uses it, in one line naming the checkpoint', async () => {
    const { out, state, jobDir, metadata } = await checkpointedRun(20_000, 3);
    const base = keyedOf(metadata.at(-1)!)[0]!.chain![0]!;
    const path = join(jobDir, 'shared', base.path);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(path, bytes);
    const second = job(20_000, undefined, 2, out, 'leveldb', state, { attempt: 1 });
    for (const id of [1, 2, 3]) {
      const dir = join(jobDir, `chk-${id}`);
      await expect(loadRestorePoint(dir, second.jobGraph, false)).rejects.toThrow(`Checkpoint/savepoint ${dir} is damaged: the checksum of state file ${base.path} does not match`);
    }
  });
});
