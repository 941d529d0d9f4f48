/**
 * Async I/O and checkpoints on running tasks: a checkpoint taken while requests are in flight
 * stores their records; a restore (also at another parallelism: the records are split like any
 * operator list state) requests them again, so the exactly-once FileSink gets every result once.
 * A canceled task does not wait for requests that never answer.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { FileSink } from '../../src/connectors/file-sink.js';
import type { TaskRestore } from '../../src/checkpoint/checkpoint-types.js';
import { createKeyedStateBackendFactory } from '../../src/state/keyed-state-backend-factory.js';
import { cleanUpAfterEach, checkpoint, runJob, until, writeMetadata, type JobRun } from './checkpoint-task-harness.js';
import { op } from './runtime-test-jobs.js';

const { runs, tmp } = cleanUpAfterEach();

/** Calls per index, over all runs. */
const calls = new Map<number, number>();

/** A slow lookup: 20–60 ms per call, so ~50 requests are in flight at any time. */
async function lookup(i: number): Promise<[[number, number]]> {
  calls.set(i, (calls.get(i) ?? 0) + 1);
  await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
  return [[i % 4, i]]; // one record that is a pair (a bare array would be two records)
}

/** source(0..n-1) → async lookup (unordered, capacity 50) ⇒ keyBy → FileSink. */
function job(n: number, rate: number | undefined, pp: number, out: string, stateDir: string, extra: { restore?: TaskRestore; attempt?: number } = {}): JobRun {
  const run = runJob({
    producer: () => [
      op('source', 'Source', new DataGeneratorSource((i) => i, n, rate ? { ratePerSecond: rate } : {})),
      op('asyncWait', 'Lookup', { function: lookup, retryStrategy: undefined }, { settings: { mode: 'unordered', timeoutMs: 0, capacity: 50 } }),
    ],
    producerParallelism: pp,
    consumer: () => [op('sink', 'Files', FileSink.forRowFormat<[number, number]>(out, (a) => a.join(',')), { key: (a: [number, number]) => a[0] })],
    consumerParallelism: 2,
    key: (a: [number, number]) => a[0],
    backend: createKeyedStateBackendFactory({ kind: 'memory', stateDir, cacheBytes: 1 << 20 }),
    ...extra,
  });
  runs.push(run);
  return run;
}

async function committed(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue;
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line) out.push(Number(line.split(',')[1]));
  }
  return out;
}

describe('async I/O checkpoints', () => {
  for (const [pp, pp2] of [
    [2, 2],
    [2, 3],
    [2, 1],
  ] as const) {
    it(`records in flight at a checkpoint at parallelism ${pp} are requested again after a restore at ${pp2}: every result once`, async () => {
      calls.clear();
      const n = 3000;
      const out = await tmp('fluss-async-out-');
      const state = await tmp('fluss-async-state-');
      const chk = join(await tmp('fluss-async-chk-'), 'chk-1');
      const first = job(n, 2000, pp, out, state);
      await until(() => first.tasks.every((t) => t.executionState === 'RUNNING'));
      // Mid-stream, with requests in flight.
      await until(() => calls.size > 300, 60_000, 'requests');
      const acks = await checkpoint(first, 1, chk);
      await writeMetadata(first, 1, chk, acks);
      for (const t of first.tasks) t.notifyCheckpointComplete(1);
      const before = calls.size;
      expect(before).toBeLessThan(n);
      await until(() => calls.size > before + 50, 60_000, 'more requests after the checkpoint');
      for (const t of first.tasks) t.cancel();
      await first.done;

      const second = job(n, undefined, pp2, out, state, { attempt: 1, restore: { checkpointDir: chk, checkpointId: 1, allowNonRestoredState: false } });
      await second.done;
      for (const [name, s] of second.states) expect(s, `${name}: ${second.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
      const lines = (await committed(out)).sort((a, b) => a - b);
      expect(lines).toEqual(Array.from({ length: n }, (_, i) => i));
      // Calls are at least once: some records were requested in both runs.
      expect([...calls.values()].some((c) => c > 1)).toBe(true);
    });
  }

  it('a task canceled with requests that never answer stops waiting and ends CANCELED', async () => {
    const out = await tmp('fluss-async-out-');
    const state = await tmp('fluss-async-state-');
    let started = 0;
    const never = (): Promise<never> => {
      started++;
      return new Promise<never>(() => undefined);
    };
    const run = runJob({
      producer: () => [
        op('source', 'Source', new DataGeneratorSource((i) => i, 1000)),
        op('asyncWait', 'Lookup', { function: never, retryStrategy: undefined }, { settings: { mode: 'ordered', timeoutMs: 0, capacity: 20 } }),
      ],
      producerParallelism: 1,
      consumer: () => [op('sink', 'Files', FileSink.forRowFormat<number>(out), { key: (x: number) => x % 2 })],
      consumerParallelism: 1,
      key: (x: number) => x % 2,
      backend: createKeyedStateBackendFactory({ kind: 'memory', stateDir: state, cacheBytes: 1 << 20 }),
    });
    runs.push(run);
    await until(() => started === 20, 60_000, 'the capacity to fill');
    for (const t of run.tasks) t.cancel();
    await run.done;
    for (const [name, s] of run.states) expect(s.at(-1), name).toBe('CANCELED');
    // Capacity reached: no request beyond it was started.
    expect(started).toBe(20);
  });
});

