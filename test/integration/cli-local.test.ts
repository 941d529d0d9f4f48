/**
 * `fluss run --local`: the job runs on a mini-cluster inside the CLI process. Needs
 * `npm run build` first; `npm test` does it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../helpers/process-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-cli-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fluss run --local', () => {
  it('runs a job at parallelism 3 on an in-process cluster and exits 0', async () => {
    assertBuilt();
    const out = join(dir, 'out.txt');
    const job = join(dir, 'local-job.ts');
    writeFileSync(
      job,
      `import { appendFileSync } from 'node:fs';
export default (env, args: string[]) => {
  env.fromSequence(1, 30)
    .rebalance()
    .map((x: number) => x * 10)
    .addSink({ invoke(v: number) { appendFileSync(args[0]!, v + '\\n'); } });
};
`,
    );
    const r = await runCli(['run', '--local', '-p', '3', job, out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Job has been submitted with JobID [0-9a-f]{32}\nJob has been finished\.\nJob Runtime: \d+ ms\n$/);
    const values = readFileSync(out, 'utf8').trim().split('\n').map(Number).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * 10));
  });

  it('reports a failing job on one line and exits non-zero', async () => {
    const job = join(dir, 'local-fail.ts');
    writeFileSync(job, `export default (env) => { env.fromElements('a').map(() => { throw new Error('kaputt'); }).name('Breaker').addSink(() => {}); };\n`);
    const r = await runCli(['run', '--local', job]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Job [0-9a-f]{32} failed: .*Breaker.*kaputt\n$/);
  });

  it('fails a job whose builder builds a different graph on the TaskManager', async () => {
    const job = join(dir, 'local-random.ts');
    // The client and the in-process TaskManager share globalThis: the second build differs.
    writeFileSync(
      job,
      `export default (env) => {
  const g = globalThis as { builds?: number };
  g.builds = (g.builds ?? 0) + 1;
  const s = env.fromElements(1, 2);
  (g.builds === 1 ? s.map((x: number) => x) : s.filter(() => true)).addSink(() => {});
};
`,
    );
    const r = await runCli(['run', '--local', job]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Job [0-9a-f]{32} failed: .*The job builder is not deterministic: the graph built on the TaskManager differs from the submitted one \(fingerprint [0-9a-f]+ ≠ [0-9a-f]+\)\n$/,
    );
  });
});
