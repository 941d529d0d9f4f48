import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSink, MAX_OPEN_PART_FILES } from '../../src/connectors/file-sink.js';
import { BasePathBucketAssigner, DateTimeBucketAssigner, type BucketAssigner } from '../../src/connectors/bucket-assigners.js';
import type { SinkWriter } from '../../src/common/sink.js';
import { stateInitializationContext, type CheckpointedFunction, type CheckpointListener } from '../../src/common/checkpoint-hooks.js';
import { OperatorStateStore, type OperatorStateSnapshot } from '../../src/state/operator-state-store.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

const JOB = 'ab'.repeat(16);
const ctx = { timestamp: () => undefined, currentProcessingTime: () => 0, currentWatermark: () => 0 };
const at = (t: number) => ({ timestamp: () => t, currentProcessingTime: () => t, currentWatermark: () => 0 });
type Hooked<T> = SinkWriter<T> & CheckpointedFunction & CheckpointListener;
const snap = (id: number) => ({ checkpointId: id, timestamp: 0, savepoint: false });

let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fluss-buckets-'));
  dirs.push(dir);
  return dir;
}

async function open<T>(sink: FileSink<T>, attempt: number, restored?: OperatorStateSnapshot) {
  const store = new OperatorStateStore('sink');
  if (restored) store.restore(restored);
  const writer = sink.createWriter({ subtaskIndex: 0, parallelism: 1, attemptNumber: attempt, jobId: JOB, operatorName: 'sink' }) as unknown as Hooked<T>;
  await writer.initializeState(stateInitializationContext(store, restored ? 1 : undefined));
  return { writer, store };
}

/** Every file under `dir`, relative, sorted. */
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Committed lines per bucket: `bucket -> sorted lines`. */
async function committed(dir: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const f of await files(dir)) {
    const name = f.slice(f.lastIndexOf('/') + 1);
    if (!name.startsWith('part-')) continue;
    const bucket = f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '';
    (out[bucket] ??= []).push(...(await readFile(join(dir, f), 'utf8')).split('\n').filter(Boolean));
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

interface Ev {
  id: string;
  dt: string;
  hm: string;
}
const byPartition: BucketAssigner<Ev> = { getBucketId: (e) => `dt=${e.dt}/hm=${e.hm}` };
const ev = (id: string, dt: string, hm: string): Ev => ({ id, dt, hm });
const sinkOf = (dir: string) => FileSink.forRowFormat<Ev>(dir, (e) => e.id).withBucketAssigner(byPartition);

describe('FileSink buckets', () => {
  it('writes nested buckets, each with its own part files, committed per checkpoint', async () => {
    const dir = await tempDir();
    const { writer } = await open(sinkOf(dir), 0);
    writer.write(ev('a1', '2026-12-03', '10:15'), ctx);
    writer.write(ev('b1', '2026-12-03', '10:16'), ctx);
    writer.write(ev('a2', '2026-12-03', '10:15'), ctx);
    await writer.snapshotState(snap(1));
    // Closed at the barrier, pending: nothing visible yet, one hidden file per bucket.
    expect(await committed(dir)).toEqual({});
    const hidden = await files(dir);
    expect(hidden).toHaveLength(2);
    expect(hidden.every((f) => /^dt=2026-12-03\/hm=10:1[56]\/\.part-abababab-0000-[0-9a-f-]+-0-\d+\.inprogress$/.test(f))).toBe(true);
    writer.write(ev('c1', '2026-12-04', '00:00'), ctx);
    writer.write(ev('a3', '2026-12-03', '10:15'), ctx);
    await writer.snapshotState(snap(2));
    await writer.notifyCheckpointComplete(1);
    expect(await committed(dir)).toEqual({ 'dt=2026-12-03/hm=10:15': ['a1', 'a2'], 'dt=2026-12-03/hm=10:16': ['b1'] });
    await writer.notifyCheckpointComplete(2);
    expect(await committed(dir)).toEqual({
      'dt=2026-12-03/hm=10:15': ['a1', 'a2', 'a3'],
      'dt=2026-12-03/hm=10:16': ['b1'],
      'dt=2026-12-04/hm=00:00': ['c1'],
    });
    // Part indexes count across buckets: four files, four distinct indexes.
    const parts = (await files(dir)).map((f) => f.slice(f.lastIndexOf('-') + 1));
    expect(new Set(parts).size).toBe(4);
    await writer.close();
  });

  it('rolls a bucket at the size bound without touching the others', async () => {
    const dir = await tempDir();
    const { writer } = await open(sinkOf(dir).withMaxPartSize(6), 0);
    for (const id of ['x1', 'x2', 'x3', 'x4']) writer.write(ev(id, 'd', 'x'), ctx);
    writer.write(ev('y1', 'd', 'y'), ctx);
    await writer.flush(true);
    expect(await committed(dir)).toEqual({ 'dt=d/hm=x': ['x1', 'x2', 'x3', 'x4'], 'dt=d/hm=y': ['y1'] });
    expect((await files(dir)).filter((f) => f.startsWith('dt=d/hm=x/'))).toHaveLength(2);
    await writer.close();
  });

  it('a restore commits the pending files of its checkpoint in their buckets and deletes what was written after it', async () => {
    const dir = await tempDir();
    const first = await open(sinkOf(dir), 0);
    first.writer.write(ev('a1', 'd1', 'h1'), ctx);
    first.writer.write(ev('b1', 'd1', 'h2'), ctx);
    await first.writer.snapshotState(snap(1));
    const atOne = first.store.snapshot();
    // Checkpoint 1 completes but the attempt dies before its notification; more was written.
    first.writer.write(ev('a2', 'd1', 'h1'), ctx);
    first.writer.write(ev('c2', 'd2', 'h1'), ctx);
    await first.writer.flush(false);
    expect((await files(dir)).filter((f) => f.endsWith('.inprogress'))).toHaveLength(4);
    const second = await open(sinkOf(dir), 1, atOne);
    expect(await committed(dir)).toEqual({ 'dt=d1/hm=h1': ['a1'], 'dt=d1/hm=h2': ['b1'] });
    expect((await files(dir)).filter((f) => f.endsWith('.inprogress'))).toEqual([]);
    await second.writer.close();
  });

  it('a restore from the first checkpoint after the second committed rolls back files in every bucket', async () => {
    const dir = await tempDir();
    const first = await open(sinkOf(dir), 0);
    first.writer.write(ev('a1', 'd1', 'h1'), ctx);
    first.writer.write(ev('b1', 'd1', 'h2'), ctx);
    await first.writer.snapshotState(snap(1));
    const atOne = first.store.snapshot();
    first.writer.write(ev('a2', 'd1', 'h1'), ctx);
    first.writer.write(ev('c2', 'd2', 'h1'), ctx);
    await first.writer.snapshotState(snap(2));
    // Checkpoint 2 completes: the files of checkpoints 1 and 2 are committed.
    await first.writer.notifyCheckpointComplete(2);
    // Written after checkpoint 2, never checkpointed: in progress when the attempt dies.
    first.writer.write(ev('a3', 'd1', 'h1'), ctx);
    first.writer.write(ev('e3', 'd3', 'h9'), ctx);
    await first.writer.flush(false);
    expect(await committed(dir)).toEqual({ 'dt=d1/hm=h1': ['a1', 'a2'], 'dt=d1/hm=h2': ['b1'], 'dt=d2/hm=h1': ['c2'] });
    expect((await files(dir)).filter((f) => f.endsWith('.inprogress'))).toHaveLength(2);

    // Unrelated files in and around the buckets are left alone.
    await writeFile(join(dir, 'dt=d1', 'README'), 'not a part file\n');
    await mkdir(join(dir, 'other'), { recursive: true });
    await writeFile(join(dir, 'other', '.part-12345678-0000-aaaa-bbbb-cccccccccccc-0-0.inprogress'), 'other job\n');

    // Checkpoint 2 turned out damaged: the next attempt restores checkpoint 1.
    const second = await open(sinkOf(dir), 1, atOne);
    expect(await committed(dir)).toEqual({ 'dt=d1/hm=h1': ['a1'], 'dt=d1/hm=h2': ['b1'] });
    expect((await files(dir)).filter((f) => f.includes('.inprogress'))).toEqual(['other/.part-12345678-0000-aaaa-bbbb-cccccccccccc-0-0.inprogress']);
    expect(await files(dir)).toContain('dt=d1/README');
    // The same restore again (a failure right after it) changes nothing.
    await (await open(sinkOf(dir), 2, atOne)).writer.close();
    expect(await committed(dir)).toEqual({ 'dt=d1/hm=h1': ['a1'], 'dt=d1/hm=h2': ['b1'] });

    // The replay writes the records after checkpoint 1 once more: each exactly once in the end.
    for (const e of [ev('a2', 'd1', 'h1'), ev('c2', 'd2', 'h1'), ev('a3', 'd1', 'h1'), ev('e3', 'd3', 'h9')]) second.writer.write(e, ctx);
    await second.writer.flush(true);
    expect(await committed(dir)).toEqual({
      'dt=d1/hm=h1': ['a1', 'a2', 'a3'],
      'dt=d1/hm=h2': ['b1'],
      'dt=d2/hm=h1': ['c2'],
      'dt=d3/hm=h9': ['e3'],
    });
    await second.writer.close();
  });

  it('keeps at most MAX_OPEN_PART_FILES files open, reopening a closed one where it ended, and none after the barrier', async () => {
    const dir = await tempDir();
    /** Descriptors of this process open on files under `dir`. */
    const openUnder = async () => {
      let n = 0;
      for (const fd of await readdir('/proc/self/fd')) n += await readlink(`/proc/self/fd/${fd}`).then((t) => (t.startsWith(dir + '/') ? 1 : 0), () => 0);
      return n;
    };
    const buckets = MAX_OPEN_PART_FILES * 2 + 5;
    const { writer } = await open(FileSink.forRowFormat<number>(dir).withBucketAssigner({ getBucketId: (i) => `b=${i % buckets}` }), 0);
    for (let round = 0; round < 3; round++) {
      for (let i = round * buckets; i < (round + 1) * buckets; i++) writer.write(i, ctx);
      await writer.flush(false);
      expect(await openUnder()).toBeLessThanOrEqual(MAX_OPEN_PART_FILES);
    }
    await writer.snapshotState(snap(1));
    expect(await openUnder()).toBe(0);
    await writer.notifyCheckpointComplete(1);
    const got = await committed(dir);
    expect(Object.keys(got)).toHaveLength(buckets);
    expect(got['b=7']).toEqual(['7', String(7 + buckets), String(7 + 2 * buckets)].sort());
    // One part file per bucket: closing a file to bound descriptors does not roll it.
    expect((await files(dir)).length).toBe(buckets);
    await writer.close();
  });

  it('refuses bucket ids that leave the sink directory, naming them', async () => {
    const dir = await tempDir();
    for (const [id, why] of [
      ['../escape', "'.' or '..'"],
      ['a/../../b', "'.' or '..'"],
      ['/etc', 'absolute'],
      ['a//b', 'empty path segment'],
      ['a/', 'empty path segment'],
      ['a\\b', 'backslash'],
    ] as const) {
      const sink = FileSink.forRowFormat<string>(dir).withBucketAssigner({ getBucketId: () => id });
      const { writer } = await open(sink, 0);
      let error: unknown;
      try {
        writer.write('x', ctx);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toContain(JSON.stringify(id));
      expect((error as Error).message).toContain(why);
      expect((error as Error).message).not.toContain('\n');
      await writer.close();
    }
    expect(await files(dir)).toEqual([]);
    expect(() => FileSink.forRowFormat<string>(dir).withBucketAssigner({} as never)).toThrow(InvalidArgumentError);
  });

  it('keeps the base directory by default and with BasePathBucketAssigner', async () => {
    const dir = await tempDir();
    const sink = FileSink.forRowFormat<string>(dir);
    expect(sink.bucketAssigner).toBeInstanceOf(BasePathBucketAssigner);
    const { writer } = await open(sink.withMaxPartSize(1024).withBucketAssigner(new BasePathBucketAssigner()), 0);
    writer.write('a', ctx);
    await writer.flush(true);
    expect(await committed(dir)).toEqual({ '': ['a'] });
    await writer.close();
  });
});

describe('DateTimeBucketAssigner', () => {
  const t = Date.UTC(2026, 11, 3, 10, 15, 42, 7);
  it("formats processing time, by default hourly as 'yyyy-MM-dd--HH'", () => {
    expect(new DateTimeBucketAssigner<string>(undefined, 'UTC').getBucketId('x', at(t))).toBe('2026-12-03--10');
    expect(new DateTimeBucketAssigner<string>("'dt='yyyy-MM-dd/'hm='HH-mm", 'UTC').getBucketId('x', at(t))).toBe('dt=2026-12-03/hm=10-15');
    expect(new DateTimeBucketAssigner<string>('yyMMddHHmmss.SSS', 'UTC').getBucketId('x', at(t))).toBe('261203101542.007');
    expect(new DateTimeBucketAssigner<string>("yyyy''MM", 'UTC').getBucketId('x', at(t))).toBe("2026'12");
    expect(new DateTimeBucketAssigner<string>('yyyy-MM-dd--HH', 'Asia/Kolkata').getBucketId('x', at(t))).toBe('2026-12-03--15');
    const local = new Date(t);
    const two = (n: number) => String(n).padStart(2, '0');
    expect(new DateTimeBucketAssigner<string>().getBucketId('x', at(t))).toBe(`${local.getFullYear()}-${two(local.getMonth() + 1)}-${two(local.getDate())}--${two(local.getHours())}`);
    // Cached per minute, yet a new minute is a new bucket.
    const minutes = new DateTimeBucketAssigner<string>('HH:mm', 'UTC');
    expect([t, t + 1000, t + 60_000].map((x) => minutes.getBucketId('x', at(x)))).toEqual(['10:15', '10:15', '10:16']);
  });

  it('refuses unsupported patterns and unknown zones in one line', () => {
    expect(() => new DateTimeBucketAssigner('yyyy-EEE')).toThrow(/unsupported pattern "EEE"/);
    expect(() => new DateTimeBucketAssigner("yyyy'x")).toThrow(/unterminated quote/);
    expect(() => new DateTimeBucketAssigner('yyyy', 'Mars/Olympus')).toThrow(InvalidArgumentError);
  });
});
