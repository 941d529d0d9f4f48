import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { FileSink } from '../../src/connectors/file-sink.js';
import { SequenceSource } from '../../src/connectors/sequence-source.js';
import { createKeyedStateBackendFactory, type StateBackendKind } from '../../src/state/keyed-state-backend-factory.js';
import { cleanUpAfterEach, checkpoint, runJob, until, writeMetadata } from './checkpoint-task-harness.js';
import { op } from './runtime-test-jobs.js';

const KEYS = 10;
const { runs, tmp } = cleanUpAfterEach();

type Agg = [key: number, count: number, sum: number];

/** source(0..n-1) → (i % 10, 1, i) ⇒ keyBy → running (count, sum) ⇒ FileSink. */
function job(source: () => unknown, pp: number, cp: number, out: string, backend: StateBackendKind, stateDir: string, extra: { restore?: import('../../src/checkpoint/checkpoint-types.js').TaskRestore; attempt?: number } = {}) {
  const run = runJob({
    producer: () => [op('source', 'Source', source()), op('map', 'Pair', (i: number): Agg => [i % KEYS, 1, i])],
    producerParallelism: pp,
    consumer: () => [
      op('keyedReduce', 'Sum', (x: Agg, y: Agg): Agg => [x[0], x[1] + y[1], x[2] + y[2]], { key: (a: Agg) => a[0] }),
      op('sink', 'Files', FileSink.forRowFormat<Agg>(out, (a) => a.join(','))),
    ],
    consumerParallelism: cp,
    key: (a: Agg) => a[0],
    backend: createKeyedStateBackendFactory({ kind: backend, stateDir, cacheBytes: 1 << 20 }),
    ...extra,
  });
  runs.push(run);
  return run;
}

/** Committed output lines. */
async function committed(dir: string): Promise<Agg[]> {
  const out: Agg[] = [];
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue;
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line) out.push(line.split(',').map(Number) as Agg);
  }
  return out;
}

/** Every key's running counts 1..count exactly once, and the final sums of indices 0..n-1. */
function expectExactlyOnce(lines: Agg[], n: number): void {
  expect(lines).toHaveLength(n);
  for (let k = 0; k < KEYS; k++) {
    const mine = lines.filter((l) => l[0] === k).sort((a, b) => a[1] - b[1]);
    let count = 0;
    let sum = 0;
    for (let i = k; i < n; i += KEYS) {
      count++;
      sum += i;
    }
    expect(mine.map((l) => l[1])).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(mine.at(-1)![2]).toBe(sum);
  }
}

describe('checkpoint and restore of running tasks', () => {
  for (const [backend, pp, cp, pp2, cp2] of [
    ['memory', 2, 2, 3, 3],
    ['leveldb', 2, 2, 1, 1],
    ['leveldb', 2, 2, 3, 3],
    ['memory', 2, 2, 1, 1],
  ] as const) {
    it(`${backend}: a job checkpointed at ${pp}/${cp}, failed and restored at ${pp2}/${cp2} emits every index exactly once into the FileSink`, async () => {
      const n = 6000;
      const out = await tmp('fluss-cp-out-');
      const state = await tmp('fluss-cp-state-');
      const chk = join(await tmp('fluss-cp-chk-'), 'chk-1');
      // Slow enough that the checkpoint lands mid-stream.
      const first = job(() => new DataGeneratorSource((i) => i, n, { ratePerSecond: 6000 }), pp, cp, out, backend, state);
      await until(() => first.tasks.every((t) => t.executionState === 'RUNNING'));
      await new Promise((r) => setTimeout(r, 150));
      const acks = await checkpoint(first, 1, chk);
      for (const a of acks) expect(a.stats.stateSize).toBeGreaterThanOrEqual(0);
      const keyedAcks = acks.filter((a) => a.vertexId === 'B').flatMap((a) => a.operators.filter((o) => o.keyed));
      expect(keyedAcks).toHaveLength(cp);
      await writeMetadata(first, 1, chk, acks);
      for (const t of first.tasks) t.notifyCheckpointComplete(1);
      await new Promise((r) => setTimeout(r, 100));
      const before = await committed(out);
      expect(before.length).toBeGreaterThan(0);
      expect(before.length).toBeLessThan(n);
      // Failure: every task goes down; the in-progress output of this attempt must not survive.
      for (const t of first.tasks) t.cancel();
      await first.done;

      const second = job(() => new DataGeneratorSource((i) => i, n), pp2, cp2, out, backend, state, {
        attempt: 1,
        restore: { checkpointDir: chk, checkpointId: 1, allowNonRestoredState: false },
      });
      await second.done;
      for (const [name, s] of second.states) expect(s, `${name}: ${second.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
      expectExactlyOnce(await committed(out), n);
      expect((await readdir(out)).filter((f) => f.startsWith('.'))).toEqual([]);
    });
  }

  it('at-least-once: barriers are not aligned, the checkpoint completes and a restore loses nothing', async () => {
    const n = 4000;
    const out = await tmp('fluss-cp-out-');
    const state = await tmp('fluss-cp-state-');
    const chk = join(await tmp('fluss-cp-chk-'), 'chk-7');
    const first = job(() => new DataGeneratorSource((i) => i, n, { ratePerSecond: 8000 }), 2, 2, out, 'memory', state);
    await until(() => first.tasks.every((t) => t.executionState === 'RUNNING'));
    await new Promise((r) => setTimeout(r, 100));
    const acks = await checkpoint(first, 7, chk, false);
    await writeMetadata(first, 7, chk, acks);
    for (const t of first.tasks) t.notifyCheckpointComplete(7);
    await new Promise((r) => setTimeout(r, 50));
    for (const t of first.tasks) t.cancel();
    await first.done;
    const second = job(() => new DataGeneratorSource((i) => i, n), 2, 2, out, 'memory', state, {
      attempt: 1,
      restore: { checkpointDir: chk, checkpointId: 7, allowNonRestoredState: false },
    });
    await second.done;
    for (const [name, s] of second.states) expect(s, `${name}: ${second.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    const lines = await committed(out);
    for (let k = 0; k < KEYS; k++) {
      const last = Math.max(...lines.filter((l) => l[0] === k).map((l) => l[1]));
      expect(last).toBeGreaterThanOrEqual(n / KEYS);
    }
  });
});
