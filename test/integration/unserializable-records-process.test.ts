/**
 * Records that cannot be serialised, on a real cluster of processes (a JobManager and two
 * TaskManagers spawned from bin/fluss): a circular record crossing a keyBy fails the job, after
 * its restart strategy, with one line naming the operator, the edge and the cycle, and both
 * TaskManager processes stay up; a BigInt beyond 64 bits crosses the keyBy and arrives as the
 * same BigInt. Needs `npm run build` first; `npm test` does it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type ProcessCluster, runCli, startProcessCluster } from '../helpers/process-cluster.js';

const jobs = mkdtempSync(join(tmpdir(), 'fluss-unserializable-'));
function jobFile(name: string, text: string): string {
  const path = join(jobs, name);
  writeFileSync(path, text);
  return path;
}

const CIRCULAR_JOB = `
import { DataGeneratorSource, RestartStrategies, WatermarkStrategy } from 'fluss';
export default (env) => {
  env.setParallelism(2);
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 100));
  env
    .fromSource(new DataGeneratorSource((i: number) => i, 200), WatermarkStrategy.noWatermarks(), 'Numbers')
    .map((i: number) => { const order: any = { id: i, lines: [{ sku: 'a' }] }; order.lines[0].order = order; return order; })
    .name('Orders')
    .keyBy((o: any) => o.id)
    .map((o: any) => o.id)
    .name('Ids')
    .addSink(() => {});
};
`;

const BIGINT_JOB = (out: string) => `
import { appendFileSync } from 'node:fs';
import { DataGeneratorSource, RestartStrategies, WatermarkStrategy } from 'fluss';
export default (env) => {
  env.setParallelism(2);
  env.setRestartStrategy(RestartStrategies.noRestart());
  env
    .fromSource(new DataGeneratorSource((i: number) => ({ id: i, big: 10n ** 30n + BigInt(i), small: BigInt(i) }), 100), WatermarkStrategy.noWatermarks(), 'Numbers')
    .keyBy((r: any) => r.big)
    .map((r: any) => {
      if (typeof r.big !== 'bigint' || r.big !== 10n ** 30n + BigInt(r.id)) throw new Error('big arrived as ' + typeof r.big + ' ' + String(r.big));
      if (typeof r.small !== 'bigint') throw new Error('small arrived as ' + typeof r.small);
      return r.id + ':' + r.big.toString();
    })
    .name('Check')
    .addSink((line: string) => appendFileSync(${JSON.stringify(out)}, line + '\\n'));
};
`;

const STRAY_THROW_JOB = (out: string) => `
import { appendFileSync } from 'node:fs';
import { DataGeneratorSource, WatermarkStrategy } from 'fluss';
export default (env) => {
  env.setParallelism(2);
  env
    .fromSource(new DataGeneratorSource((i: number) => i, 50), WatermarkStrategy.noWatermarks(), 'Numbers')
    .map((i: number) => {
      // A callback of the job's own throws outside any task: no task can own the error.
      if (i % 10 === 0) setTimeout(() => { throw new Error('stray error from a timer ' + i); }, 0);
      return i;
    })
    .name('Stray')
    .addSink((i: number) => appendFileSync(${JSON.stringify(out)}, i + '\\n'));
};
`;

let cluster: ProcessCluster;
beforeAll(async () => {
  assertBuilt();
  cluster = await startProcessCluster({ taskManagers: 2, slots: 1 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(jobs, { recursive: true, force: true });
  if (cluster) rmSync(cluster.workDir, { recursive: true, force: true });
});

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('unserialisable records on TaskManager processes', () => {
  it('a circular record across a keyBy fails the job with one line; the TaskManagers stay up', async () => {
    const r = await runCli(['run', '-m', cluster.address, jobFile('circular.ts', CIRCULAR_JOB)]);
    expect(r.code).not.toBe(0);
    // Restarts may be announced on lines of their own; the failure itself is one line.
    const lines = r.stderr.trim().split('\n').filter((l) => / failed: /.test(l) && !/is restarting/.test(l));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Job [0-9a-f]{32} failed: .*Orders failed: a record cannot be sent over the network on edge Orders -> HASH -> Ids: circular reference at record\.lines\[0\]\.order/,
    );
    // The restart strategy ran: one restart, then the job failed.
    expect(cluster.jobManager.stderr()).toMatch(/restarting job after failure: .*circular reference at record\.lines\[0\]\.order/);
    for (const tm of cluster.taskManagers) {
      expect(tm.proc.exitCode).toBeNull();
      expect(alive(tm.proc.pid)).toBe(true);
      expect(tm.stderr()).not.toMatch(/Unhandled|Uncaught exception|exiting/i);
    }
  });

  it('an error thrown from a callback of the job itself is logged, the TaskManagers stay up (LOG, as Flink)', async () => {
    const out = join(jobs, 'stray.out');
    const r = await runCli(['run', '-m', cluster.address, jobFile('stray.ts', STRAY_THROW_JOB(out))]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n').map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const logs = cluster.taskManagers.map((tm) => tm.stderr()).join('\n');
    expect(logs).toMatch(/Uncaught exception \(cluster\.uncaught-exception-handling: LOG\)/);
    expect(logs).toMatch(/stray error from a timer/);
    for (const tm of cluster.taskManagers) {
      expect(tm.proc.exitCode).toBeNull();
      expect(alive(tm.proc.pid)).toBe(true);
    }
  });

  it('a BigInt beyond 64 bits crosses a keyBy and arrives as the same BigInt', async () => {
    const out = join(jobs, 'bigint.out');
    const r = await runCli(['run', '-m', cluster.address, jobFile('bigint.ts', BIGINT_JOB(out))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = readFileSync(out, 'utf8').trim().split('\n').sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]));
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `${i}:${(10n ** 30n + BigInt(i)).toString()}`));
    for (const tm of cluster.taskManagers) expect(alive(tm.proc.pid)).toBe(true);
  });
});
