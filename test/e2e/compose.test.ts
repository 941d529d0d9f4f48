/**
 * docker-compose equivalence (test/helpers/compose-cluster.ts): no Docker engine runs here, so
 * this starts docker-compose.yml's services as local processes. The cluster it describes must
 * come up and run a bounded job to FINISHED.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeCluster } from '../helpers/compose-cluster.js';
import { assertBuilt, ROOT, runCli, waitFor } from '../helpers/process-cluster.js';

const cluster = new ComposeCluster('docker-compose.yml');
const compose = cluster.compose;
const workDir = cluster.workDir;
let jobManagerAddress = '';
let restBase = '';

beforeAll(async () => {
  assertBuilt();
  await cluster.start();
  jobManagerAddress = `127.0.0.1:${await cluster.published('jobmanager', 6123)}`;
  restBase = `http://127.0.0.1:${await cluster.published('jobmanager', 8081)}`;
}, 90_000);

afterAll(async () => {
  await cluster.stop();
});

const logs = (): string => cluster.logs();

describe('docker-compose.yml describes a working cluster', () => {
  it('declares health checks, named volumes on every service, the REST port and FLUSS_PROPERTIES', () => {
    const named = Object.keys(compose.volumes ?? {});
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.environment?.['FLUSS_PROPERTIES'], name).toBeTruthy();
      expect(svc.volumes?.some((v) => named.includes(v.split(':')[0]!)), `${name} mounts a named volume`).toBe(true);
      expect(svc.command?.[0], name).toMatch(/^(jobmanager|taskmanager)$/);
    }
    const jm = compose.services['jobmanager']!;
    expect(jm.ports).toContain('8081:8081');
    expect(jm.healthcheck?.test.join(' ')).toContain('/overview');
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["fluss"\]$/m);
  });

  it('comes up with two TaskManagers and runs a bounded job to FINISHED via fluss run -m', async () => {
    await waitFor('2 TaskManagers in /overview', async () => ((await (await fetch(`${restBase}/overview`)).json()) as { taskmanagers: number }).taskmanagers === 2, 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });
    const tms = (await (await fetch(`${restBase}/taskmanagers`)).json()) as { taskmanagers: { path: string }[] };
    for (const tm of tms.taskmanagers) expect(tm.path).not.toMatch(/^0\.0\.0\.0:/);

    const jobDir = mkdtempSync(join(workDir, 'job-'));
    const jobFile = join(jobDir, 'bounded.ts');
    writeFileSync(
      jobFile,
      `import { defineJob } from 'fluss';
export default defineJob((env) => {
  env.setParallelism(2);
  env.fromSequence(1, 2000).map((x: number) => x * 2).rebalance().filter((x: number) => x % 3 === 0).addSink(() => {});
});
`,
    );
    const r = await runCli(['run', '-m', jobManagerAddress, jobFile], { FLUSS_PROPERTIES: '' }, 90_000);
    expect(r.code, `${r.stdout}\n${r.stderr}\n${logs()}`).toBe(0);
    const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(r.stdout)?.[1];
    expect(jobId).toBeDefined();
    const job = (await (await fetch(`${restBase}/jobs/${jobId}`)).json()) as { state: string; vertices: { parallelism: number }[] };
    expect(job.state).toBe('FINISHED');
    expect(Math.max(...job.vertices.map((v) => v.parallelism))).toBe(2);
    const overview = await (await fetch(`${restBase}/overview`)).json();
    expect(overview).toMatchObject({ taskmanagers: 2, 'jobs-finished': 1, 'slots-total': 2, 'slots-available': 2 });
  });
});
