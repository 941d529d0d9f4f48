/**
 * Timeoutable aligned barriers in output queues under backpressure (FLIP-182): checkpoints are
 * unaligned with a positive aligned-checkpoint timeout, and a slow keyed stage keeps the
 * generators' output subpartitions full. The generators have no inputs, so only the timeout of
 * their own output queues can make their barriers overtake the records queued there: the
 * completed checkpoints must show the generators' output channel state (records in their
 * channel state files, bytes in their acknowledgments). Then the job fails once and restores
 * from such a checkpoint, re-emitting that state; the FileSink's output holds every record
 * exactly once, in order per key.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { FileSink, KeyedProcessFunction, RestartStrategies, ValueStateDescriptor, WatermarkStrategy, type Collector, type KeyedProcessContext, type ValueState } from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { readChannelStateFile } from '../../src/checkpoint/channel-state-file.js';
import type { CheckpointMetadata } from '../../src/checkpoint/checkpoint-types.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { newId } from '../../src/core/ids.js';
import { waitFor } from './jobmanager-harness.js';

const RECORDS = 12_000;
const KEYS = 8;
const PARALLELISM = 2;

interface Rec {
  k: number;
  s: number;
}

/** Set by the test once a checkpoint with output channel state completed: the first attempt fails at its next record. */
let failNow = false;
/**
 * The last sequence number of each key that counts. The source goes on past it (so the job
 * cannot finish before the test has seen the checkpoint it waits for, however slow the machine);
 * later records are checked and dropped.
 */
const LAST = RECORDS / KEYS - 1;

/** Checks that each key's sequence numbers arrive in order, once; slow on purpose. */
class SequenceCheck extends KeyedProcessFunction<number, Rec, string> {
  private last!: ValueState<number>;

  override open(): void {
    this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('last', -1));
  }

  processElement(r: Rec, _ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    if (failNow && this.getRuntimeContext().getAttemptNumber() === 0) throw new Error('injected failure');
    const until = performance.now() + 0.3;
    while (performance.now() < until);
    if (r.s > LAST) return;
    const last = this.last.value() ?? -1;
    if (r.s !== last + 1) out.collect(`ALERT ${r.k} ${r.s} after ${last}`);
    this.last.update(r.s);
    out.collect(`${r.k} ${r.s}`);
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('timeoutable aligned barriers in output queues', () => {
  it('overtake the records queued in a backpressured output, store them as its channel state, and restore exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-timeoutable-barriers-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const checkpoints = join(dir, 'checkpoints');
    const cluster = new MiniCluster({
      numTaskManagers: 1,
      slotsPerTaskManager: PARALLELISM,
      config: { 'state.checkpoints.dir': checkpoints, 'state.backend.type': 'memory', 'state.checkpoints.num-retained': 50 },
    });
    await cluster.start();
    cleanups.push(() => cluster.stop());
    const client = new JobManagerClient(cluster.jobManagerAddress);
    cleanups.push(() => client.close());

    const out = join(dir, 'out');
    const job = (env: StreamExecutionEnvironment): void => {
      env.setParallelism(PARALLELISM);
      env.enableCheckpointing(150);
      env.getCheckpointConfig().enableUnalignedCheckpoints().setAlignedCheckpointTimeout(20);
      env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
      env
        .fromSource(new DataGeneratorSource((i: number): Rec => ({ k: i % KEYS, s: Math.floor(i / KEYS) }), Number.MAX_SAFE_INTEGER), WatermarkStrategy.noWatermarks(), 'generator')
        .uid('generator')
        .keyBy((r: Rec) => r.k)
        .process(new SequenceCheck())
        .uid('check')
        .sinkTo(FileSink.forRowFormat<string>(out));
    };
    failNow = false;
    const build = () => buildJob(job, []);
    const { jobGraph } = await build();
    const source = jobGraph.vertices.find((v) => v.inputs.length === 0)!;
    const jobId = newId();
    const hash = registerInProcessJob(build, jobId);
    cleanups.push(() => unregisterInProcessJob(hash));
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId });

    // A completed checkpoint in which the generators' barriers overtook records in their output queues.
    const jobDir = join(checkpoints, jobId);
    const outputRecords = async (chk: string): Promise<number> => {
      const md = JSON.parse(await readFile(join(jobDir, chk, '_metadata'), 'utf8')) as CheckpointMetadata;
      let n = 0;
      for (const op of md.operators) {
        for (const s of op.subtasks) {
          if (!s.channelState) continue;
          const content = await readChannelStateFile(join(jobDir, chk), s.channelState);
          for (const o of content.outputs) for (const b of o.batches) n += b.values.length;
        }
      }
      return n;
    };
    // Output channel state records per completed checkpoint, read while the job runs (a finished job's checkpoints are deleted).
    const outputs = new Map<number, number>();
    const scan = async (): Promise<void> => {
      for (const chk of await readdir(jobDir).catch(() => [] as string[])) {
        const id = Number(chk.replace('chk-', ''));
        if (outputs.has(id) || !(await readdir(join(jobDir, chk)).catch(() => [] as string[])).includes('_metadata')) continue;
        const records = await outputRecords(chk).catch(() => undefined);
        if (records !== undefined) outputs.set(id, records);
      }
    };
    let found: number | undefined;
    await waitFor(
      async () => {
        await scan();
        found = [...outputs].find(([, records]) => records > 0)?.[0];
        return found !== undefined;
      },
      60_000,
      'a completed checkpoint with output channel state',
    );
    // The generators acknowledged it with channel state bytes (the only output channel state of the job is theirs).
    const details = (await (await fetch(`http://${cluster.restAddress}/jobs/${jobId}/checkpoints/details/${found}`)).json()) as {
      status: string;
      tasks: Record<string, { persisted_data: number }>;
    };
    expect(details.status).toBe('COMPLETED');
    expect(details.tasks[source.id]!.persisted_data).toBeGreaterThan(0);

    // Fail once: the job restores from its latest checkpoint, which re-emits the generators' output channel state.
    failNow = true;
    const committed = async (): Promise<number> => {
      let n = 0;
      for (const name of await readdir(out).catch(() => [] as string[])) {
        if (name.startsWith('.')) continue;
        n += (await readFile(join(out, name), 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').length;
      }
      return n;
    };
    await waitFor(
      async () => {
        await scan();
        return (await committed()) >= RECORDS;
      },
      90_000,
      'every record committed',
    );
    // The source never ends: the job is cancelled once the records that count are all committed.
    await client.cancelJob(jobId);
    const stats = (await (await fetch(`http://${cluster.restAddress}/jobs/${jobId}/checkpoints`)).json()) as { latest: { restored: { id: number } | null } };
    const restored = stats.latest.restored!.id;
    expect(restored).toBeGreaterThanOrEqual(found!);
    expect(outputs.get(restored)).toBeGreaterThan(0);

    const seen = new Set<string>();
    const next = new Map<number, number>();
    const problems: string[] = [];
    for (const name of await readdir(out)) {
      if (name.startsWith('.')) continue;
      for (const line of (await readFile(join(out, name), 'utf8')).split('\n')) {
        if (!line) continue;
        if (line.startsWith('ALERT')) problems.push(line);
        const [k, s] = line.split(' ').map(Number) as [number, number];
        if (seen.has(line)) problems.push(`duplicate ${line}`);
        seen.add(line);
        if (s !== (next.get(k) ?? 0)) problems.push(`key ${k}: ${s} where ${next.get(k) ?? 0} was next`);
        next.set(k, Math.max(next.get(k) ?? 0, s + 1));
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(seen.size).toBe(RECORDS);
  }, 120_000);
});
