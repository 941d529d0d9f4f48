import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OperatorSubtaskState, TaskRestore } from '../../src/checkpoint/checkpoint-types.js';
import { TaskLocalStateStores } from '../../src/checkpoint/local-state-stores.js';
import { writeOperatorStateFile } from '../../src/checkpoint/state-files.js';
import { LocalStateUnusableError, TaskLocalStateStore } from '../../src/checkpoint/task-local-state-store.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { FileSink } from '../../src/connectors/file-sink.js';
import type { TaskMetricsSink } from '../../src/runtime/task-metrics.js';
import { createKeyedStateBackendFactory } from '../../src/state/keyed-state-backend-factory.js';
import { cleanUpAfterEach, checkpoint, runJob, until, writeMetadata } from './checkpoint-task-harness.js';
import { op } from './runtime-test-jobs.js';
import { validateConfig } from '../../src/core/config.js';

const { runs, tmp } = cleanUpAfterEach();

/** A checkpoint `chk-<id>` of one subtask: an operator state file and a two-file chain in `shared`. */
async function fakeCheckpoint(jobDir: string, id: number): Promise<{ dir: string; operators: OperatorSubtaskState[] }> {
  const dir = join(jobDir, `chk-${id}`);
  const shared = join(jobDir, 'shared');
  await mkdir(dir, { recursive: true });
  await mkdir(shared, { recursive: true });
  const opState = await writeOperatorStateFile(dir, 'op1-0-op', { offsets: { mode: 'split', items: [id] } });
  const base = await writeOperatorStateFile(shared, `chk-1-op1-0-${'a'.repeat(12)}`, { x: { mode: 'split', items: ['base'] } });
  const delta = await writeOperatorStateFile(shared, `chk-${id}-op1-0-${'b'.repeat(12)}`, { x: { mode: 'split', items: [id] } });
  const keyed = { file: delta, keyGroupRange: { start: 0, end: 63 }, format: 'leveldb-native' as const, chain: [base, delta] };
  return { dir, operators: [{ operatorId: 'op1', subtaskIndex: 0, keyed, operatorState: opState }] };
}

describe('task-local recovery configuration', () => {
  it('is off by default, with no root; both keys are known and typed', () => {
    const config = validateConfig({});
    expect(config['state.backend.local-recovery']).toBe(false);
    expect(config['taskmanager.state.local.root-dirs']).toBeUndefined();
    const on = validateConfig({ 'state.backend.local-recovery': 'true', 'taskmanager.state.local.root-dirs': '/data/a,/data/b' });
    expect(on['state.backend.local-recovery']).toBe(true);
    expect(on['taskmanager.state.local.root-dirs']).toBe('/data/a,/data/b');
    expect(() => validateConfig({ 'state.backend.local-recovery': 'yes' })).toThrow('invalid value for configuration key state.backend.local-recovery');
  });
});

describe('TaskLocalStateStore', () => {
  it('keeps a pending copy as hard links, confirms it, keeps only the latest confirmed one and drops aborted ones', async () => {
    const jobDir = await tmp('fluss-lr-job-');
    const store = new TaskLocalStateStore(join(await tmp('fluss-lr-local-'), 'job', 'v-0'));
    const c1 = await fakeCheckpoint(jobDir, 1);
    await store.store(1, c1.dir, c1.operators);
    // Pending: not usable before the JobManager confirms it.
    await expect(store.retrieve(1)).rejects.toThrow(LocalStateUnusableError);
    store.confirm(1);
    const local = await store.retrieve(1);
    expect(local.operators).toEqual(c1.operators);
    expect((await readdir(local.dir)).sort()).toEqual(['_local', 'chk-1-op1-0-aaaaaaaaaaaa', 'chk-1-op1-0-bbbbbbbbbbbb', 'op1-0-op'].sort());
    // Same filesystem: links of the shared files, no second copy of the bytes.
    expect((await stat(join(local.dir, 'op1-0-op'))).ino).toBe((await stat(join(c1.dir, 'op1-0-op'))).ino);

    const c2 = await fakeCheckpoint(jobDir, 2);
    await store.store(2, c2.dir, c2.operators);
    store.abort(2);
    await store.settled();
    expect(await store.checkpointsOnDisk()).toEqual([1]);
    expect(store.confirmedCheckpointId).toBe(1);

    const c3 = await fakeCheckpoint(jobDir, 3);
    const c4 = await fakeCheckpoint(jobDir, 4);
    await store.store(3, c3.dir, c3.operators);
    await store.store(4, c4.dir, c4.operators);
    store.confirm(3);
    await store.settled();
    // 1 is subsumed by 3; 4 is still pending.
    expect(await store.checkpointsOnDisk()).toEqual([3, 4]);
    await expect(store.retrieve(1)).rejects.toThrow('the local state is of checkpoint 3, the restore is of checkpoint 1');
    store.confirm(4);
    await store.settled();
    expect(await store.checkpointsOnDisk()).toEqual([4]);
    // The copy survives the JobManager deleting the shared file.
    await rm(join(jobDir, 'shared'), { recursive: true });
    expect((await store.retrieve(4)).checkpointId).toBe(4);
    expect(await readFile(join(store.checkpointDir(4), 'chk-4-op1-0-bbbbbbbbbbbb'))).toBeDefined();
  });

  it('a checkpoint completing without a local copy makes the old copy stale; a late or aborted copy is never kept', async () => {
    const jobDir = await tmp('fluss-lr-job-');
    const store = new TaskLocalStateStore(join(await tmp('fluss-lr-local-'), 'job', 'v-0'));
    const c1 = await fakeCheckpoint(jobDir, 1);
    await store.store(1, c1.dir, c1.operators);
    store.confirm(1);
    store.confirm(2);
    await store.settled();
    expect(store.confirmedCheckpointId).toBeUndefined();
    expect(await store.checkpointsOnDisk()).toEqual([]);
    // Written after its checkpoint was aborted, or after a later one completed.
    store.abort(3);
    const c3 = await fakeCheckpoint(jobDir, 3);
    await store.store(3, c3.dir, c3.operators);
    await store.store(2, c1.dir, c1.operators);
    await store.settled();
    expect(await store.checkpointsOnDisk()).toEqual([]);
    // A file that does not exist: nothing of the copy remains.
    await expect(store.store(5, join(jobDir, 'chk-404'), c1.operators)).rejects.toThrow(/keeping a local copy of checkpoint 5 failed/);
    expect(await readdir(store.dir)).toEqual([]);
  });

  it('the stores of a TaskManager start empty, confirm per subtask or per job, and release jobs and finished subtasks', async () => {
    const root = join(await tmp('fluss-lr-root-'), 'local');
    await mkdir(join(root, 'old-job', 'v-0', 'chk-9'), { recursive: true });
    const stores = new TaskLocalStateStores(root);
    const jobDir = await tmp('fluss-lr-job-');
    const a = await stores.forSubtask('job', 'v', 0);
    const b = await stores.forSubtask('job', 'v', 1);
    // Left by an earlier process: removed, never trusted.
    expect(await readdir(root).catch(() => [])).toEqual([]);
    const c1 = await fakeCheckpoint(jobDir, 1);
    await a.store(1, c1.dir, c1.operators);
    await b.store(1, c1.dir, c1.operators);
    stores.confirm('job', 1, { vertexId: 'v', subtaskIndex: 0 });
    expect(a.confirmedCheckpointId).toBe(1);
    expect(b.confirmedCheckpointId).toBeUndefined();
    stores.confirm('job', 1);
    expect(b.confirmedCheckpointId).toBe(1);
    await stores.releaseSubtask('job', 'v', 0);
    expect(await readdir(join(root, 'job'))).toEqual(['v-1']);
    await stores.releaseJob('job');
    expect(await readdir(root)).toEqual([]);
    await stores.close();
    await expect(stat(root)).rejects.toThrow();
  });
});

type Agg = [key: number, count: number, sum: number];
const KEYS = 40;

/** Counts restores that used the local copy (`hit`) or fell back (`miss`). */
function recoveryCounter(): { hits: number; misses: number; sink: () => TaskMetricsSink } {
  const c = { hits: 0, misses: 0, sink: (): TaskMetricsSink => ({} as TaskMetricsSink) };
  const noop = () => undefined;
  c.sink = () => ({
    recordsIn: noop, recordsOut: noop, addBusyTime: noop, addIdleTime: noop, addBackPressuredTime: noop, setInputWatermark: noop,
    operator: () => ({ recordsIn: noop, recordsOut: noop, setInputWatermark: noop }),
    localRecovery: (hit) => (hit ? c.hits++ : c.misses++),
  });
  return c;
}

async function committed(dir: string): Promise<Agg[]> {
  const out: Agg[] = [];
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue;
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line) out.push(line.split(',').map(Number) as Agg);
  }
  return out;
}

describe('task-local recovery through the task', () => {
  /** source(0..n-1) ⇒ keyBy ⇒ running (count, sum) ⇒ FileSink, incremental LevelDB checkpoints, local state in `stores`. */
  function job(n: number, rate: number | undefined, out: string, stateDir: string, stores: Map<string, TaskLocalStateStore>, counter: ReturnType<typeof recoveryCounter>, extra: { restore?: TaskRestore; attempt?: number } = {}) {
    const run = runJob({
      producer: () => [op('source', 'Source', new DataGeneratorSource((i) => i, n, rate ? { ratePerSecond: rate } : undefined)), op('map', 'Pair', (i: number): Agg => [i % KEYS, 1, i])],
      producerParallelism: 2,
      consumer: () => [
        op('keyedReduce', 'Sum', (x: Agg, y: Agg): Agg => [x[0], x[1] + y[1], x[2] + y[2]], { key: (a: Agg) => a[0] }),
        op('sink', 'Files', FileSink.forRowFormat<Agg>(out, (a) => a.join(','))),
      ],
      consumerParallelism: 2,
      key: (a: Agg) => a[0],
      backend: createKeyedStateBackendFactory({ kind: 'leveldb', stateDir, cacheBytes: 1 << 20, incremental: { maxLength: 20, maxDeltaRatio: 1000, changelogBytes: 16 << 20 } }),
      localState: (v, i) => stores.get(`${v}-${i}`)!,
      metrics: counter.sink,
      ...extra,
    });
    runs.push(run);
    return run;
  }

  async function expectExactlyOnce(out: string, n: number): Promise<void> {
    const lines = await committed(out);
    expect(lines).toHaveLength(n);
    for (let k = 0; k < KEYS; k++) {
      const counts = lines.filter((l) => l[0] === k).map((l) => l[1]).sort((a, b) => a - b);
      expect(counts).toEqual(Array.from({ length: n / KEYS }, (_, i) => i + 1));
    }
  }

  it('a restart restores every subtask from its local chain; a damaged local file falls back to the checkpoint, output exactly once both times', async () => {
    const n = 16_000;
    const out = await tmp('fluss-lr-out-');
    const state = await tmp('fluss-lr-state-');
    const jobDir = await tmp('fluss-lr-chk-');
    const localRoot = await tmp('fluss-lr-local-');
    const stores = new Map(['A-0', 'A-1', 'B-0', 'B-1'].map((k) => [k, new TaskLocalStateStore(join(localRoot, k))]));
    const counter = recoveryCounter();
    const first = job(n, 2000, out, state, stores, counter);
    await until(() => first.tasks.every((t) => t.executionState === 'RUNNING'));
    for (let id = 1; id <= 3; id++) {
      await new Promise((r) => setTimeout(r, 30));
      const chk = join(jobDir, `chk-${id}`);
      await writeMetadata(first, id, chk, await checkpoint(first, id, chk));
      for (const s of stores.values()) s.confirm(id);
      for (const t of first.tasks) t.notifyCheckpointComplete(id);
    }
    for (const t of first.tasks) t.cancel();
    await first.done;
    const consumer = stores.get('B-0')!;
    const kept = await consumer.retrieve(3);
    // The whole chain of the keyed state is kept locally.
    expect(kept.operators.find((o) => o.keyed)!.keyed!.chain).toHaveLength(3);

    // The sink's files as the failure left them, to restore checkpoint 3 a second time.
    const outAtFailure = join(await tmp('fluss-lr-out-copy-'), 'out');
    await cp(out, outAtFailure, { recursive: true });
    const restore: TaskRestore = { checkpointDir: join(jobDir, 'chk-3'), checkpointId: 3, allowNonRestoredState: false };
    const second = job(n, undefined, out, state, stores, counter, { attempt: 1, restore });
    await second.done;
    for (const [name, s] of second.states) expect(s, `${name}: ${second.errors.get(name)?.message}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    expect(counter).toMatchObject({ hits: 4, misses: 0 });
    await expectExactlyOnce(out, n);

    // Again from checkpoint 3, with one file of B-0's local chain replaced (a new file, not the shared one).
    await rm(out, { recursive: true, force: true });
    await cp(outAtFailure, out, { recursive: true });
    const victim = join(kept.dir, kept.operators.find((o) => o.keyed)!.keyed!.chain![0]!.path);
    const bytes = await readFile(victim);
    bytes[bytes.length - 1] ^= 0xff;
    await rm(victim);
    await writeFile(victim, bytes);
    const third = job(n, undefined, out, state, stores, counter, { attempt: 2, restore });
    await third.done;
    for (const [name, s] of third.states) expect(s, `${name}: ${[...third.errors].map(([k, e]) => `${k} ${e.message}`).join("; ")}`).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    expect(counter).toMatchObject({ hits: 7, misses: 1 });
    // The unusable copy is dropped.
    expect(consumer.confirmedCheckpointId).toBeUndefined();
    await expectExactlyOnce(out, n);
  });
});
