import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskRestore } from '../../src/checkpoint/checkpoint-types.js';
import { isNativeKeyedStateFile } from '../../src/checkpoint/native-keyed-state-file.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { FileSink } from '../../src/connectors/file-sink.js';
import { createKeyedStateBackendFactory, type StateBackendKind } from '../../src/state/keyed-state-backend-factory.js';
import { cleanUpAfterEach, checkpoint, runJob, until, writeMetadata } from './checkpoint-task-harness.js';
import { op } from './runtime-test-jobs.js';

const KEYS = 10;
const { runs, tmp } = cleanUpAfterEach();

type Agg = [key: number, count: number, sum: number];

/** source(0..n-1) → (i % 10, 1, i) ⇒ keyBy → running (count, sum) ⇒ FileSink. */
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
    backend: createKeyedStateBackendFactory({ kind: backend, stateDir, cacheBytes: 1 << 20 }),
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

/** A LevelDB job at parallelism 2 checkpointed mid-stream, then failed. */
async function checkpointedRun(n: number) {
  const out = await tmp('fluss-ncp-out-');
  const state = await tmp('fluss-ncp-state-');
  const chk = join(await tmp('fluss-ncp-chk-'), 'chk-1');
  const first = job(n, 6000, 2, out, 'leveldb', state);
  await until(() => first.tasks.every((t) => t.executionState === 'RUNNING'));
  await new Promise((r) => setTimeout(r, 150));
  const acks = await checkpoint(first, 1, chk);
  const metadata = await writeMetadata(first, 1, chk, acks);
  for (const t of first.tasks) t.notifyCheckpointComplete(1);
  await new Promise((r) => setTimeout(r, 100));
  for (const t of first.tasks) t.cancel();
  await first.done;
  return { out, state, chk, metadata };
}

describe('native LevelDB checkpoints through the task', () => {
  it('LevelDB checkpoints are native; restored into the memory backend at parallelism 3, every index is emitted exactly once', async () => {
    const n = 6000;
    const { out, state, chk, metadata } = await checkpointedRun(n);
    const keyed = metadata.operators.flatMap((o) => o.subtasks).filter((s) => s.keyed);
    expect(keyed).toHaveLength(2);
    for (const s of keyed) {
      expect(s.keyed!.format).toBe('leveldb-native');
      expect(await isNativeKeyedStateFile(chk, s.keyed!.file)).toBe(true);
    }
    const second = job(n, undefined, 3, out, 'memory', state, { attempt: 1, restore: { checkpointDir: chk, checkpointId: 1, allowNonRestoredState: false } });
    await second.done;
    for (const [name, s] of second.states) expect(s, `${name}: ${second.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    const lines = await committed(out);
    expect(lines).toHaveLength(n);
    for (let k = 0; k < KEYS; k++) {
      const mine = lines.filter((l) => l[0] === k).map((l) => l[1]).sort((a, b) => a - b);
      expect(mine).toEqual(Array.from({ length: n / KEYS }, (_, i) => i + 1));
    }
  });

  it('a restore from a native file that does not match its checksum fails the task as a damaged checkpoint', async () => {
    const { out, state, chk, metadata } = await checkpointedRun(4000);
    const file = metadata.operators.flatMap((o) => o.subtasks).find((s) => s.keyed)!.keyed!.file;
    const bytes = await readFile(join(chk, file.path));
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(join(chk, file.path), bytes);
    const second = job(4000, undefined, 2, out, 'leveldb', state, { attempt: 1, restore: { checkpointDir: chk, checkpointId: 1, allowNonRestoredState: false } });
    await second.done;
    const failures = [...second.errors.values()].map((e) => e.message);
    expect(failures.some((m) => /damaged checkpoint .*does not match its checksum/.test(m))).toBe(true);
  });
});
