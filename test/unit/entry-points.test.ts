/**
 * The package's entry points: `fluss/testing`, `fluss/cluster` and `fluss/nexmark` resolve as
 * package exports, and a job file imports them with nothing installed beside it, getting this
 * package's very classes, as it does for `fluss`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleJobFile, loadJobBundle } from '../../src/cluster/job-bundle.js';
import * as cluster from '../../src/cluster-entry.js';
import { JobBuildError } from '../../src/core/errors.js';
import * as fluss from '../../src/index.js';
import * as nexmark from '../../src/nexmark.js';
import * as testing from '../../src/testing.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-entries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('entry points', () => {
  it('are package exports that resolve to the compiled entries', () => {
    const require = createRequire(import.meta.url);
    const dist = resolve(__dirname, '..', '..', 'dist');
    expect(require.resolve('fluss')).toBe(join(dist, 'index.js'));
    expect(require.resolve('fluss/testing')).toBe(join(dist, 'testing.js'));
    expect(require.resolve('fluss/cluster')).toBe(join(dist, 'cluster-entry.js'));
    expect(require.resolve('fluss/nexmark')).toBe(join(dist, 'nexmark.js'));
  });

  it('each hold their part of the API, which fluss also exports', () => {
    expect(testing.OperatorTestHarness).toBe(fluss.OperatorTestHarness);
    expect(cluster.MiniCluster).toBe(fluss.MiniCluster);
    expect(cluster.JobManager).toBe(fluss.JobManager);
    expect(cluster.TaskManager).toBe(fluss.TaskManager);
    expect(cluster.JobManagerClient).toBe(fluss.JobManagerClient);
    expect(cluster.loadConfig).toBe(fluss.loadConfig);
    expect(nexmark.NexmarkSource).toBe(fluss.NexmarkSource);
    expect(nexmark.FIRST_PERSON_ID).toBe(fluss.FIRST_PERSON_ID);
  });

  it('are what a job bundle gets for require, with no install beside the job file', async () => {
    const job = write(
      'entries-job.ts',
      [
        "import { StreamExecutionEnvironment } from 'fluss';",
        "import { OperatorTestHarness } from 'fluss/testing';",
        "import { MiniCluster } from 'fluss/cluster';",
        "import { NexmarkSource } from 'fluss/nexmark';",
        'export default function build(env: { seen?: unknown[] }): void {',
        '  env.seen = [StreamExecutionEnvironment, OperatorTestHarness, MiniCluster, NexmarkSource];',
        '}',
      ].join('\n'),
    );
    const bundle = await bundleJobFile(job);
    const code = bundle.code.toString('utf8');
    expect(code).toContain('require("fluss/nexmark")');
    const env: { seen?: unknown[] } = {};
    await loadJobBundle(bundle.code, job)(env as never, []);
    expect(env.seen).toEqual([fluss.StreamExecutionEnvironment, testing.OperatorTestHarness, cluster.MiniCluster, nexmark.NexmarkSource]);
  });

  it('refuses an entry point the package does not have, in one line naming the ones it has', () => {
    const code = 'const x = require("fluss/internals"); module.exports = () => x;';
    expect(() => loadJobBundle(code, join(dir, 'unknown.cjs'))).toThrow(JobBuildError);
    expect(() => loadJobBundle(code, join(dir, 'unknown.cjs'))).toThrow(
      /^Cannot import "fluss\/internals": a job imports fluss through "fluss", "fluss\/cluster", "fluss\/nexmark", "fluss\/testing"$/,
    );
  });
});
