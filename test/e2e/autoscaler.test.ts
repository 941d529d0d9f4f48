/**
 * The autoscaler on a real cluster (`jobmanager.autoscaler.enabled`; a JobManager and two
 * TaskManager processes with 2 slots each, short windows): a source whose rate follows a file
 * feeds a deliberately slow keyed stage (about 2 ms of CPU per record). Its bounds are set to
 * [1, 3] with a REST PUT (which does not move it). The rate rises → the stage scales up; the
 * rate falls → it scales back down; it never leaves its bounds; every decision is listed in
 * `GET /jobs/:jid/autoscaler` with its inputs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ProcessCluster, runCli, startProcessCluster, waitFor } from '../helpers/process-cluster.js';

const JOB = `
import { readFileSync } from 'node:fs';
import { defineJob, KeyedProcessFunction } from 'fluss';
import type { Collector, SourceContext, SourceFunction } from 'fluss';

/** Emits numbers at the rate (records per second) written in a file, read every 100 ms. */
class FileRateSource implements SourceFunction<number> {
  private running = true;
  constructor(private readonly rateFile: string) {}
  async run(ctx: SourceContext<number>): Promise<void> {
    let i = 0;
    while (this.running) {
      const rate = Number(readFileSync(this.rateFile, 'utf8').trim()) || 0;
      const started = Date.now();
      for (let n = 0; n < Math.round(rate / 10) && this.running; n++) await ctx.collect(i++);
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
    }
  }
  cancel(): void {
    this.running = false;
  }
}

/** About 2 ms of CPU per record: about 500 records per second per subtask. */
class Slow extends KeyedProcessFunction<number, number, number> {
  processElement(x: number, _ctx: unknown, out: Collector<number>): void {
    const end = performance.now() + 2;
    while (performance.now() < end) { /* spin */ }
    out.collect(x);
  }
}

export default defineJob((env, [rateFile]) => {
  env.enableCheckpointing(1000);
  env
    .addSource(new FileRateSource(rateFile), 'rate')
    .keyBy((x: number) => x % 64)
    .process(new Slow())
    .uid('slow')
    .addSink(() => {});
});
`;

interface Evaluation {
  vertexId: string;
  parallelism: number;
  recommended: number;
  inputRate: number;
  targetInputRate: number;
  busy: number;
  trueProcessingRatePerSubtask: number;
  utilization: number;
  reason: string;
}
interface AutoscalerView {
  enabled: boolean;
  vertices: { id: string; parallelism: number }[];
  decisions: { vertices: Evaluation[]; outcome: string }[];
  parallelismHistory: { parallelism: Record<string, number> }[];
}

describe('autoscaler (process cluster)', () => {
  let cluster: ProcessCluster;
  let dir: string;
  let rest: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluss-autoscaler-'));
    const restPort = await freePort();
    rest = `http://127.0.0.1:${restPort}`;
    cluster = await startProcessCluster({
      taskManagers: 2,
      slots: 2,
      extra: [
        '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`,
        '-D', `rest.port=${restPort}`,
        '-D', 'jobmanager.autoscaler.enabled=true',
        '-D', 'jobmanager.autoscaler.interval=500 ms',
        '-D', 'jobmanager.autoscaler.metrics.window=3 s',
        '-D', 'jobmanager.autoscaler.stabilization.interval=2 s',
        '-D', 'jobmanager.autoscaler.scale-down.interval=3 s',
      ],
    });
    writeFileSync(join(dir, 'job.ts'), JOB);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('scales the slow stage up when the rate rises and down when it falls, within its bounds', async () => {
    const rateFile = join(dir, 'rate.txt');
    writeFileSync(rateFile, '100');
    const run = await runCli(['run', '-m', cluster.address, '-d', '-p', '1', join(dir, 'job.ts'), rateFile]);
    expect(run.stderr).toBe('');
    const jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)![1]!;
    const view = async (): Promise<AutoscalerView> => (await (await fetch(`${rest}/jobs/${jobId}/autoscaler`)).json()) as AutoscalerView;
    await waitFor('the job running', async () => ((await (await fetch(`${rest}/jobs/${jobId}`)).json()) as { vertices: { status: string }[] }).vertices.every((v) => v.status === 'RUNNING'), 60_000, 200);
    const slow = (await view()).vertices[1]!.id;
    const put = await fetch(`${rest}/jobs/${jobId}/resource-requirements`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ [slow]: { parallelism: { lowerBound: 1, upperBound: 3 } } }),
    });
    expect(put.status).toBe(200);
    expect((await view()).vertices[1]!.parallelism).toBe(1);

    writeFileSync(rateFile, '1200');
    await waitFor('the slow stage scaled up', async () => (await view()).vertices[1]!.parallelism >= 2, 120_000, 250);
    const up = (await view()).decisions.find((d) => d.vertices.some((v) => v.vertexId === slow && v.recommended > v.parallelism))!;
    const inputs = up.vertices.find((v) => v.vertexId === slow)!;
    expect(inputs.busy).toBeGreaterThan(0.5);
    expect(inputs.trueProcessingRatePerSubtask).toBeGreaterThan(0);
    expect(inputs.targetInputRate).toBeGreaterThan(inputs.trueProcessingRatePerSubtask * 0.7);
    expect(inputs.reason).toContain('ceil(');

    writeFileSync(rateFile, '30');
    const peak = (await view()).vertices[1]!.parallelism;
    await waitFor('the slow stage scaled down', async () => (await view()).vertices[1]!.parallelism < peak, 120_000, 250);
    const final = await view();
    expect(final.enabled).toBe(true);
    expect(final.decisions.some((d) => d.vertices.some((v) => v.vertexId === slow && v.recommended < v.parallelism))).toBe(true);
    const seen = final.parallelismHistory.map((p) => p.parallelism[slow]!);
    expect(Math.max(...seen)).toBeLessThanOrEqual(3);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(1);
    expect(final.parallelismHistory.every((p) => p.parallelism[final.vertices[0]!.id] === 1)).toBe(true);
    await runCli(['cancel', '-m', cluster.address, jobId]);
  }, 300_000);
});
