/**
 * The `fluss` CLI against a real cluster of processes (a JobManager and two TaskManagers
 * spawned from bin/fluss). Needs `npm run build` first; `npm test` does it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type ProcessCluster, runCli, startProcessCluster, waitFor } from '../helpers/process-cluster.js';

const jobs = mkdtempSync(join(tmpdir(), 'fluss-cli-jobs-'));
function jobFile(name: string, text: string): string {
  const path = join(jobs, name);
  writeFileSync(path, text);
  return path;
}

const SLOW_JOB = `
import { DataGeneratorSource, WatermarkStrategy } from 'fluss';
export default (env) => {
  env.setParallelism(2);
  env
    .fromSource(new DataGeneratorSource((i: number) => i, Infinity, { ratePerSecond: 20 }), WatermarkStrategy.noWatermarks(), 'Ticks')
    .map((i: number) => i * 2)
    .addSink(() => {});
};
`;

const BOUNDED_JOB = `
import { defineJob } from 'fluss';
export default defineJob((env, args) => {
  env.fromSequence(1, Number(args[0] ?? 100)).map((x: number) => x + 1).addSink(() => {});
});
`;

const THROWING_FUNCTION_JOB = `
export default (env) => {
  env.fromElements(1, 2, 3)
    .map((x: number) => { if (x === 2) throw new RangeError('two is not allowed'); return x; })
    .name('Picky Mapper')
    .addSink(() => {});
};
`;

let cluster: ProcessCluster;
beforeAll(async () => {
  assertBuilt();
  cluster = await startProcessCluster({ taskManagers: 2, slots: 1 });
});
afterAll(async () => {
  await cluster?.stop();
  rmSync(jobs, { recursive: true, force: true });
  if (cluster) rmSync(cluster.workDir, { recursive: true, force: true });
});

const ID = /Job has been submitted with JobID ([0-9a-f]{32})/;

describe('fluss CLI on a process cluster', () => {
  it('run -d → list shows RUNNING → cancel → list -a shows CANCELED', async () => {
    const submitted = await runCli(['run', '-m', cluster.address, '-d', jobFile('slow.ts', SLOW_JOB)]);
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    const jobId = ID.exec(submitted.stdout)![1]!;

    const line = new RegExp(`^\\d{2}\\.\\d{2}\\.\\d{4} \\d{2}:\\d{2}:\\d{2} : ${jobId} : .+ \\(RUNNING\\)$`, 'm');
    const listed = await waitFor('the job to be RUNNING', async () => {
      const r = await runCli(['list', '-m', cluster.address]);
      return line.test(r.stdout) ? r : undefined;
    });
    expect(listed!.code).toBe(0);
    expect(listed!.stdout).toMatch(/^Waiting for response\.\.\.\n------------------ Running\/Restarting Jobs -------------------\n/);

    const canceled = await runCli(['cancel', '-m', cluster.address, jobId]);
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toContain(`Cancelled job ${jobId}.`);

    const all = await waitFor('the job to be CANCELED', async () => {
      const r = await runCli(['list', '-a', '-m', cluster.address]);
      return r.stdout.includes(`: ${jobId} : `) && r.stdout.includes('(CANCELED)') ? r : undefined;
    });
    expect(all!.stdout).toContain('---------------------- Terminated Jobs -----------------------');
    expect(all!.stdout).toMatch(new RegExp(`: ${jobId} : .+ \\(CANCELED\\)`));
    // Without -a the canceled job is gone.
    const running = await runCli(['list', '-m', cluster.address]);
    expect(running.stdout).not.toContain(jobId);
  });

  it('attached run of a bounded job exits 0 with the runtime', async () => {
    const r = await runCli(['run', '-m', cluster.address, jobFile('bounded.ts', BOUNDED_JOB), '500']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(ID);
    expect(r.stdout).toContain('Job has been finished.');
    expect(r.stdout).toMatch(/Job Runtime: \d+ ms/);
  });

  it('attached run exits non-zero naming the operator when a user function throws', async () => {
    const r = await runCli(['run', '-m', cluster.address, jobFile('throws-at-runtime.ts', THROWING_FUNCTION_JOB)]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Job [0-9a-f]{32} failed: .*Picky Mapper.*RangeError: two is not allowed/);
  });

  it('a missing job file is one line on stderr', async () => {
    const missing = join(jobs, 'missing.ts');
    const r = await runCli(['run', '-m', cluster.address, missing]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`Error: Job file not found: ${missing}\n`);
  });

  it('a job file that does not compile is one line with the location', async () => {
    const file = jobFile('broken.ts', 'export default (env) => {\n  env.fromElements(1,, ;\n};\n');
    const r = await runCli(['run', '-m', cluster.address, file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^Error: Job file .*broken\.ts does not compile: .*broken\.ts:2:\d+: .+\n$/);
  });

  it('a job file without a default export is one line', async () => {
    const file = jobFile('no-default.ts', 'export const job = (env) => env;\n');
    const r = await runCli(['run', '-m', cluster.address, file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`Error: Job file ${file} has no default export (expected a function (env, args) => …)\n`);
  });

  it('a builder that throws is one line', async () => {
    const file = jobFile('builder-throws.ts', "export default () => { throw new Error('no sources configured'); };\n");
    const r = await runCli(['run', '-m', cluster.address, file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: .*no sources configured\n$/);
  });

  it('cancelling an unknown job is one line', async () => {
    const r = await runCli(['cancel', '-m', cluster.address, 'ffffffffffffffffffffffffffffffff']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: .*ffffffffffffffffffffffffffffffff.*\n$/);
  });

  it('an unreachable JobManager is reported within seconds', async () => {
    const started = Date.now();
    const r = await runCli(['list'], { FLUSS_JOBMANAGER: '127.0.0.1:1' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe('Error: JobManager at 127.0.0.1:1 is not reachable\n');
  });
});
