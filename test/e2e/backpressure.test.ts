/**
 * Backpressure: a fast unbounded source feeding a slow sink on another TaskManager. Credit-based
 * flow control must throttle the source to the sink's pace, and the TaskManagers' memory must
 * stay bounded instead of queueing millions of records.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessCluster, runCli, startProcessCluster, waitFor } from '../helpers/process-cluster.js';

const JOB = `
import { appendFileSync } from 'node:fs';
import { defineJob, DataGeneratorSource, WatermarkStrategy } from 'fluss';

export default defineJob((env, [progressDir]) => {
  const payload = 'x'.repeat(200);
  env
    .fromSource(
      new DataGeneratorSource((i: number) => {
        if (i % 10000 === 0) appendFileSync(progressDir + '/source', i + '\\n');
        return { i, payload };
      }, Infinity),
      WatermarkStrategy.noWatermarks(),
      'generator',
    )
    .setParallelism(1)
    .rebalance()
    .addSink({
      seen: 0,
      subtask: 0,
      open(this: { subtask: number }, ctx: { subtaskIndex: number }) {
        this.subtask = ctx.subtaskIndex;
      },
      invoke(this: { seen: number; subtask: number }) {
        const until = Date.now() + 1;
        while (Date.now() < until) { /* a slow sink: ~1 ms per record */ }
        if (++this.seen % 100 === 0) appendFileSync(progressDir + '/sink-' + this.subtask + '-' + process.pid, this.seen + '\\n');
      },
    })
    .setParallelism(2)
    .name('slow sink');
});
`;

function lastNumber(file: string): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return Number(lines[lines.length - 1] ?? 0);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

describe('backpressure', () => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await startProcessCluster({ taskManagers: 2, slots: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('throttles the source to a slow sink with bounded memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-bp-'));
    writeFileSync(join(dir, 'job.ts'), JOB);
    // The source runs in slot 0; the two sink subtasks in slots 0 and 1, so one channel is
    // local and one crosses to the other TaskManager.
    const submit = await runCli(['run', '-d', '-m', cluster.address, join(dir, 'job.ts'), dir]);
    expect(submit.code, submit.stderr).toBe(0);
    const jobId = /JobID ([0-9a-f]{32})/.exec(submit.stdout)![1]!;

    const consumedSoFar = () =>
      readdirSync(dir).filter((f) => f.startsWith('sink-')).reduce((n, f) => n + lastNumber(join(dir, f)), 0);
    await waitFor('the sinks to make progress', () => consumedSoFar() > 0, 30_000);
    await new Promise((r) => setTimeout(r, 6000));

    const generated = lastNumber(join(dir, 'source'));
    const consumed = consumedSoFar();
    expect(readdirSync(dir).filter((f) => f.startsWith('sink-')).length).toBe(2);
    // ~1 ms per record: a few thousand consumed in 6 s; without flow control the generator
    // would have produced millions by now.
    expect(consumed).toBeGreaterThan(500);
    expect(generated - consumed).toBeLessThan(100_000);
    for (const tm of cluster.taskManagers) expect(rssMb(tm.proc.pid!)).toBeLessThan(400);

    const cancel = await runCli(['cancel', '-m', cluster.address, jobId]);
    expect(cancel.stdout).toContain(`Cancelled job ${jobId}.`);
  });
});
