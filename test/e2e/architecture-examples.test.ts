/**
 * The examples of the architecture document, ported line by line to TypeScript, on a real
 * cluster (JobManager and TaskManager processes from bin/fluss): `CountFunction` (keyed
 * ValueState), `BufferSink` (operator list state from `getRuntimeContext().getListState`), the
 * checkpoint configuration block, and the savepoint commands (`fluss savepoint <jobId> [dir]`,
 * `fluss cancel <jobId> -s <dir>`, `fluss run -s <path>`).
 *
 * The job runs at parallelism 2, is cancelled with a savepoint, resumed at parallelism 3,
 * cancelled with a savepoint again and resumed at parallelism 1. Each sink subtask writes what
 * its `buffered` list held when it opened, which shows the operator state was checkpointed,
 * restored and redistributed round-robin, and that the keyed counts continued where they were.
 *
 * The document's state backend line names `hdfs://`, which Fluss cannot write: the job gives
 * `new RocksDBStateBackend(dir)` a directory on the shared filesystem instead, and its
 * periodic checkpoints (every 60 s, as written) land there; the document's line as written is
 * refused at submission in one line.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ProcessCluster, runCli, startProcessCluster, waitFor } from '../helpers/process-cluster.js';

const KEYS = 4;

const JOB = `
import {
  CheckpointingMode, Configuration, DataGeneratorSource, defineJob, KeyedProcessFunction, ListStateDescriptor,
  RichSinkFunction, RocksDBStateBackend, StreamExecutionEnvironment, ValueStateDescriptor, WatermarkStrategy,
} from 'fluss';
import type { Collector, KeyedProcessContext, ListState, SinkContext, ValueState } from 'fluss';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Keyed State
export class CountFunction extends KeyedProcessFunction<string, string, string> {
  private countState!: ValueState<number>;

  open(parameters: Configuration): void {
    this.countState = this.getRuntimeContext().getState(
      new ValueStateDescriptor('count', Number)
    );
  }

  processElement(value: string, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    let current = this.countState.value();
    if (current == null) current = 0;
    this.countState.update(current + 1);
    out.collect('Count: ' + (current + 1));
  }
}

// Operator State
export class BufferSink extends RichSinkFunction<string> {
  protected bufferedState!: ListState<string>;

  open(parameters: Configuration): void {
    this.bufferedState = this.getRuntimeContext().getListState(
      new ListStateDescriptor('buffered', String)
    );
  }

  invoke(value: string, context: SinkContext): void {
    this.bufferedState.add(value);
  }
}

/** The document's sink, plus a file per subtask with what its list held when it opened. */
class ObservedBufferSink extends BufferSink {
  constructor(private readonly dir: string, private readonly run: string) {
    super();
  }

  open(parameters: Configuration): void {
    super.open(parameters);
    const ctx = this.getRuntimeContext();
    const file = join(this.dir, 'restored-' + this.run + '-' + ctx.subtaskIndex + '-of-' + ctx.parallelism + '.json');
    writeFileSync(file, JSON.stringify([...this.bufferedState.get()]));
  }
}

export default defineJob((_env, [dir, run, checkpoints]) => {
  // 启用 Checkpoint
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  env.enableCheckpointing(60000); // 60秒

  // Checkpoint 配置
  const config = env.getCheckpointConfig();

  // 精确一次语义
  config.setCheckpointingMode(CheckpointingMode.EXACTLY_ONCE);

  // Checkpoint 超时
  config.setCheckpointTimeout(120000); // 120秒

  // 最小间隔
  config.setMinPauseBetweenCheckpoints(30000); // 30秒

  // 任务取消时保留 Checkpoint
  config.setRetainCheckpointsOnCancellation(true);

  // 存储后端
  env.setStateBackend(new RocksDBStateBackend(checkpoints));

  env
    .fromSource(new DataGeneratorSource((i: number) => 'key-' + (i % ${KEYS}), 1e9, { ratePerSecond: 300 }), WatermarkStrategy.noWatermarks(), 'words')
    .uid('words')
    .keyBy((w: string) => w)
    .process(new CountFunction())
    .uid('count')
    .addSink(new ObservedBufferSink(dir, run))
    .uid('buffer-sink');
});
`;

let cluster: ProcessCluster;
let restPort: number;
let work: string;
let jobFile: string;
/** The directory the job gives its RocksDBStateBackend: a subdirectory of the cluster's state.checkpoints.dir. */
let jobCheckpoints: string;

beforeAll(async () => {
  restPort = await freePort();
  work = mkdtempSync(join(tmpdir(), 'fluss-arch-'));
  jobFile = join(work, 'architecture-job.ts');
  writeFileSync(jobFile, JOB);
  jobCheckpoints = join(work, 'checkpoints', 'rocksdb');
  cluster = await startProcessCluster({
    taskManagers: 2,
    slots: 2,
    extra: ['-D', `rest.port=${restPort}`, '-D', `state.checkpoints.dir=${join(work, 'checkpoints')}`, '-D', `state.savepoints.dir=${join(work, 'savepoints')}`],
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function jobIdOf(stdout: string): string {
  const m = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(stdout);
  if (!m) throw new Error(`no job id in: ${stdout}`);
  return m[1]!;
}

function savepointPathOf(stdout: string): string {
  const m = /Savepoint completed\. Path: (\S+)/.exec(stdout);
  if (!m) throw new Error(`no savepoint path in: ${stdout}`);
  return m[1]!;
}

async function rest(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${restPort}${path}`);
  return (await res.json()) as Record<string, unknown>;
}

/** What each sink subtask of `run` found in its list when it opened, by subtask index. */
function restored(run: string, parallelism: number): string[][] | undefined {
  const out: string[][] = [];
  for (let i = 0; i < parallelism; i++) {
    const f = join(work, `restored-${run}-${i}-of-${parallelism}.json`);
    if (!existsSync(f)) return undefined;
    out.push(JSON.parse(readFileSync(f, 'utf8')) as string[]);
  }
  return out;
}

/**
 * The counts in a union of per-key sequences "Count: 1" … "Count: c_k" over at most KEYS keys:
 * n occurs at most KEYS times, and never more often than n - 1. Returns the multiplicities.
 */
function checkPerKeyPrefixes(items: string[]): Map<number, number> {
  const mult = new Map<number, number>();
  for (const s of items) {
    const m = /^Count: (\d+)$/.exec(s);
    expect(m, `unexpected buffered item ${s}`).not.toBeNull();
    const n = Number(m![1]);
    mult.set(n, (mult.get(n) ?? 0) + 1);
  }
  const max = Math.max(0, ...mult.keys());
  let previous = KEYS;
  for (let n = 1; n <= max; n++) {
    const c = mult.get(n) ?? 0;
    expect(c, `"Count: ${n}" occurs ${c} times after "Count: ${n - 1}" occurred ${previous} times`).toBeLessThanOrEqual(previous);
    previous = c;
  }
  return mult;
}

async function runDetached(args: string[]): Promise<string> {
  const r = await runCli(['run', '-m', cluster.address, '-d', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return jobIdOf(r.stdout);
}

/** Waits until the job is RUNNING. */
async function waitRunning(jobId: string): Promise<void> {
  await waitFor(`job ${jobId} RUNNING`, async () => (await rest(`/jobs/${jobId}`))['state'] === 'RUNNING', 30_000);
}

describe('the architecture document examples', () => {
  it('run as written: CountFunction, BufferSink, the checkpoint block and the savepoint commands', async () => {
    // First run at parallelism 2: the sinks start empty.
    const first = await runDetached(['-p', '2', jobFile, work, 'a', jobCheckpoints]);
    await waitRunning(first);
    expect(await waitFor('the first run to open its sinks', () => restored('a', 2))).toEqual([[], []]);

    // The checkpoint configuration block reached the job.
    const config = await rest(`/jobs/${first}/checkpoints/config`);
    expect(config).toMatchObject({
      mode: 'exactly_once',
      interval: 60000,
      timeout: 120000,
      min_pause: 30000,
      externalization: { enabled: true, delete_on_cancellation: false },
    });

    // new RocksDBStateBackend(dir): the first periodic checkpoint (60 s) lands in the job's
    // directory, not in the cluster's state.checkpoints.dir.
    const checkpointOf = (jobId: string): string | undefined => {
      const dir = join(jobCheckpoints, jobId);
      if (!existsSync(dir)) return undefined;
      const chk = readdirSync(dir).find((d) => /^chk-\d+$/.test(d) && existsSync(join(dir, d, '_metadata')));
      return chk && join(dir, chk);
    };
    const firstCheckpoint = (await waitFor('the first periodic checkpoint in the RocksDBStateBackend directory', () => checkpointOf(first), 180_000, 500))!;
    expect(existsSync(join(work, 'checkpoints', first))).toBe(false);
    const stats = (await rest(`/jobs/${first}/checkpoints`)) as { latest: { completed: { external_path: string } | null } };
    expect(stats.latest.completed?.external_path.startsWith(join(jobCheckpoints, first))).toBe(true);

    // fluss savepoint <jobId> [targetDirectory]: the job keeps running.
    const sp = await runCli(['savepoint', '-m', cluster.address, first, join(work, 'savepoints')]);
    expect(sp.code, sp.stderr).toBe(0);
    expect(existsSync(savepointPathOf(sp.stdout))).toBe(true);
    expect((await rest(`/jobs/${first}`))['state']).toBe('RUNNING');
    // The sink never failed (it used to fail every attempt with "keyed state ... only available on a keyed stream").
    expect((await rest(`/jobs/${first}/exceptions`))['root-exception']).toBeNull();

    // fluss cancel <jobId> -s <targetDirectory>
    const cancel1 = await runCli(['cancel', '-m', cluster.address, first, '-s', join(work, 'savepoints')]);
    expect(cancel1.code, cancel1.stderr).toBe(0);
    const sp1 = savepointPathOf(cancel1.stdout);
    // setRetainCheckpointsOnCancellation(true): the cancelled job's checkpoint stays in the job's directory.
    await waitFor(`job ${first} CANCELED`, async () => (await rest(`/jobs/${first}`))['state'] === 'CANCELED');
    expect(existsSync(join(firstCheckpoint, '_metadata'))).toBe(true);

    // fluss run -s <savepointPath> at parallelism 3: the lists of the two old subtasks are dealt round-robin.
    const second = await runDetached(['-s', sp1, '-p', '3', jobFile, work, 'b', jobCheckpoints]);
    await waitRunning(second);
    const b = (await waitFor('the second run to open its sinks', () => restored('b', 3)))!;
    const bAll = b.flat();
    expect(bAll.length).toBeGreaterThan(KEYS);
    const sizes = b.map((l) => l.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const bCounts = checkPerKeyPrefixes(bAll);
    expect(bCounts.get(1)).toBe(KEYS);

    // Let the resumed job count on, then stop it with a savepoint again and resume at parallelism 1.
    await new Promise((r) => setTimeout(r, 1500));
    const cancel2 = await runCli(['cancel', '-m', cluster.address, second, '-s', join(work, 'savepoints')]);
    expect(cancel2.code, cancel2.stderr).toBe(0);
    const third = await runDetached(['-s', savepointPathOf(cancel2.stdout), '-p', '1', jobFile, work, 'c', jobCheckpoints]);
    await waitRunning(third);
    const [cAll] = (await waitFor('the third run to open its sink', () => restored('c', 1)))!;
    // Everything the second run restored is still there, with what it added after it.
    expect(cAll!.length).toBeGreaterThan(bAll.length);
    for (const item of new Set(bAll)) {
      expect(cAll!.filter((x) => x === item).length).toBeGreaterThanOrEqual(bAll.filter((x) => x === item).length);
    }
    // CountFunction's keyed counts continued across both restores: still one "Count: n" per key and n.
    const cCounts = checkPerKeyPrefixes(cAll!);
    expect(cCounts.get(1)).toBe(KEYS);
    expect(Math.max(...cCounts.keys())).toBeGreaterThan(Math.max(...bCounts.keys()));

    const cancel3 = await runCli(['cancel', '-m', cluster.address, third]);
    expect(cancel3.code, cancel3.stderr).toBe(0);
    expect(readdirSync(join(work, 'savepoints')).length).toBeGreaterThanOrEqual(3);
  }, 420_000);

  it("refuses the document's hdfs:// state backend at submission, in one line naming the supported forms", async () => {
    const hdfsJob = join(work, 'hdfs-job.ts');
    writeFileSync(
      hdfsJob,
      JOB.replace('env.setStateBackend(new RocksDBStateBackend(checkpoints));', 'env.setStateBackend(new RocksDBStateBackend("hdfs://namenode:9000/fluss/checkpoints"));'),
    );
    expect(readFileSync(hdfsJob, 'utf8')).toContain('hdfs://namenode:9000/fluss/checkpoints');
    const jobsBefore = ((await rest('/jobs/overview'))['jobs'] as unknown[]).length;
    const r = await runCli(['run', '-m', cluster.address, '-d', hdfsJob, work, 'hdfs']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/Job has been submitted/);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain('checkpoint directory "hdfs://namenode:9000/fluss/checkpoints" uses the hdfs:// scheme, which Fluss cannot write');
    expect(lines[0]).toContain('an absolute path on a filesystem the JobManager and every TaskManager share');
    expect(lines[0]).toContain('file:// URI');
    // Nothing was accepted.
    expect(((await rest('/jobs/overview'))['jobs'] as unknown[]).length).toBe(jobsBefore);
  }, 120_000);
});
