/**
 * Rescaling through savepoints on a real cluster (JobManager and TaskManager processes from
 * bin/fluss): a job with per-key sequences runs at parallelism 2 on LevelDB, is stopped with a
 * savepoint, resumed at parallelism 3 on the memory backend, stopped again, and resumed at
 * parallelism 1 on LevelDB until its end. Every record must reach the exactly-once FileSink's
 * committed files exactly once over the three runs, and the keyed sequence check (restored
 * ValueState) must never alert. Then the CLI's refusals of `run -s` and `savepoint -d`.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessCluster, runCli, startProcessCluster, waitFor } from '../helpers/process-cluster.js';

const KEYS = 8;
const COUNT = 24_000;
// Slow enough that a job is still running when `fluss stop` reaches it after the progress checks.
const RATE = 1_500;

/**
 * args: output dir, state backend, source parallelism, operator uid of the check, max parallelism
 * ('' = default). The generator's position is one split per subtask of the first run: at
 * parallelism 3 one source subtask has nothing to read and waits at the end of its input.
 */
const JOB = `
import { DataGeneratorSource, defineJob, FileSink, KeyedProcessFunction, ValueStateDescriptor, WatermarkStrategy } from 'fluss';
import type { Collector, ValueState } from 'fluss';

interface Event { k: number; s: number }

/** Emits "k s", and an ALERT when a key's sequence number is not the one its state expects. */
class SequenceCheck extends KeyedProcessFunction<number, Event, string> {
  private next!: ValueState<number>;
  open(): void {
    this.next = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('next-seq'));
  }
  processElement(e: Event, _ctx: unknown, out: Collector<string>): void {
    const expected = this.next.value() ?? 0;
    if (e.s !== expected) out.collect('ALERT key ' + e.k + ' expected ' + expected + ' got ' + e.s);
    this.next.update(e.s + 1);
    out.collect(e.k + ' ' + e.s);
  }
}

export default defineJob((env, [out, backend, sourceParallelism, uid, maxParallelism]) => {
  env.setStateBackend(backend as 'memory' | 'leveldb');
  env.enableCheckpointing(500);
  if (maxParallelism) env.setMaxParallelism(Number(maxParallelism));
  env
    .fromSource(new DataGeneratorSource((i: number) => ({ k: i % ${KEYS}, s: Math.floor(i / ${KEYS}) }), ${COUNT}, { ratePerSecond: ${RATE} }), WatermarkStrategy.noWatermarks(), 'events')
    .uid('events')
    .setParallelism(Number(sourceParallelism))
    .keyBy((e: Event) => e.k)
    .process(new SequenceCheck())
    .uid(uid || 'sequence-check')
    .sinkTo(FileSink.forRowFormat(out))
    .uid('file-sink');
});
`;

function committedLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    if (f.startsWith('.')) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line) out.push(line);
  }
  return out;
}

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

describe('savepoints across rescaling and state backends (process cluster)', () => {
  let cluster: ProcessCluster;
  let dir: string;
  let savepoints: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluss-sp-rescale-'));
    savepoints = join(dir, 'savepoints');
    cluster = await startProcessCluster({
      taskManagers: 3,
      slots: 1,
      extra: ['-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`, '-D', `state.savepoints.dir=${savepoints}`],
    });
    writeFileSync(join(dir, 'job.ts'), JOB);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const m = (): string[] => ['-m', cluster.address];
  const job = (): string => join(dir, 'job.ts');

  async function runDetached(parallelism: number, backend: string, restore?: string): Promise<string> {
    const res = await runCli(['run', ...m(), '-d', '-p', String(parallelism), ...(restore ? ['-s', restore] : []), job(), join(dir, 'out'), backend, String(parallelism)]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    return jobIdOf(res.stdout);
  }

  async function stopAfterProgress(jobId: string, minLines: number): Promise<string> {
    await waitFor(`${minLines} committed lines`, () => committedLines(join(dir, 'out')).length >= minLines, 30_000, 200);
    const res = await runCli(['stop', ...m(), '-p', savepoints, jobId]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const path = savepointPathOf(res.stdout);
    expect(existsSync(join(path, '_metadata'))).toBe(true);
    const list = await runCli(['list', ...m(), '-a']);
    expect(list.stdout).toContain(`${jobId} : `);
    expect(list.stdout).toMatch(new RegExp(`${jobId} : .*\\(FINISHED\\)`));
    return path;
  }

  let secondSavepoint = '';

  it('runs at p=2 (leveldb), p=3 (memory), p=1 (leveldb): every record exactly once, keyed state continues', async () => {
    const first = await runDetached(2, 'leveldb');
    const sp1 = await stopAfterProgress(first, 2_000);
    const afterFirst = committedLines(join(dir, 'out')).length;
    expect(afterFirst).toBeLessThan(COUNT);

    const second = await runDetached(3, 'memory', sp1);
    const sp2 = await stopAfterProgress(second, afterFirst + 2_000);
    secondSavepoint = sp2;

    const last = await runCli(['run', ...m(), '-p', '1', '-s', sp2, job(), join(dir, 'out'), 'leveldb', '1'], {}, 120_000);
    expect(last.stderr).toBe('');
    expect(last.code).toBe(0);

    const lines = committedLines(join(dir, 'out'));
    expect(lines.filter((l) => l.startsWith('ALERT'))).toEqual([]);
    const seen = new Map<string, number>();
    for (const l of lines) seen.set(l, (seen.get(l) ?? 0) + 1);
    const duplicates = [...seen].filter(([, n]) => n > 1).map(([l]) => l);
    expect(duplicates.slice(0, 5)).toEqual([]);
    expect(lines.length).toBe(COUNT);
    for (let i = 0; i < COUNT; i += 997) expect(seen.get(`${i % KEYS} ${Math.floor(i / KEYS)}`), `index ${i}`).toBe(1);
    // Nothing is left hidden: in-progress and pending files were committed or discarded.
    expect(readdirSync(join(dir, 'out')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 150_000);

  it('refuses run -s with unmapped state (without -n), a changed max parallelism, a damaged savepoint; disposes a savepoint', async () => {
    expect(secondSavepoint).not.toBe('');
    const out = join(dir, 'refused');

    const unmapped = await runCli(['run', ...m(), '-d', '-s', secondSavepoint, job(), out, 'memory', '2', 'renamed-check']);
    expect(unmapped.code).not.toBe(0);
    expect(unmapped.stderr.trim().split('\n')).toHaveLength(1);
    expect(unmapped.stderr).toMatch(/Cannot map checkpoint\/savepoint state for operator [0-9a-f]{32} \(KeyedProcess\)/);
    expect(unmapped.stderr).toContain('--allowNonRestoredState');

    const maxPar = await runCli(['run', ...m(), '-d', '-s', secondSavepoint, job(), out, 'memory', '2', '', '256']);
    expect(maxPar.code).not.toBe(0);
    expect(maxPar.stderr.trim().split('\n')).toHaveLength(1);
    expect(maxPar.stderr).toMatch(/max(imum)? ?parallelism/i);

    const damaged = join(savepoints, 'damaged-copy');
    cpSync(secondSavepoint, damaged, { recursive: true });
    const stateFile = readdirSync(damaged).find((f) => f !== '_metadata' && !f.startsWith('.'))!;
    const bytes = readFileSync(join(damaged, stateFile));
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(join(damaged, stateFile), bytes);
    const broken = await runCli(['run', ...m(), '-d', '-s', damaged, job(), out, 'memory', '2']);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toMatch(/checksum|damaged|corrupt/i);
    expect(committedLines(out)).toEqual([]);

    const disposed = await runCli(['savepoint', ...m(), '-d', secondSavepoint]);
    expect(disposed.stderr).toBe('');
    expect(disposed.code).toBe(0);
    expect(disposed.stdout).toContain(`Savepoint '${secondSavepoint}' disposed.`);
    expect(existsSync(secondSavepoint)).toBe(false);
  }, 60_000);
});
