/**
 * Rescaling a running job in place on a real cluster (a JobManager and two TaskManager
 * processes with 3 slots each, from bin/fluss): a keyed, checkpointed job on LevelDB writing
 * through the exactly-once FileSink is rescaled with `fluss rescale` 2 → 5 → 1, then one of its
 * two vertices with a REST PUT of its resource requirements; parallelism is checked in
 * `fluss status` and REST after each step. The job is then stopped with a savepoint: every
 * generated record up to where each key stopped is committed exactly once (no duplicates, no
 * gap per key) and the keyed sequence check (restored ValueState) never alerts. Bad requests
 * are refused with one line or a JSON error and leave the job running.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ProcessCluster, runCli, startProcessCluster, waitFor } from '../helpers/process-cluster.js';
import { committedLines, expectExactlyOnce, SEQUENCE_JOB as JOB } from './rescale-harness.js';

const TOKEN = 'rescale-test-token-0123456789';

interface RestVertex {
  id: string;
  name: string;
  parallelism: number;
  status: string;
}

describe('rescaling a running job in place (process cluster)', () => {
  let cluster: ProcessCluster;
  let dir: string;
  let rest: string;
  let jobId = '';
  const env = { FLUSS_TOKEN: TOKEN };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fluss-rescale-'));
    const restPort = await freePort();
    rest = `http://127.0.0.1:${restPort}`;
    cluster = await startProcessCluster({
      taskManagers: 2,
      slots: 3,
      extra: [
        '-D', `state.checkpoints.dir=${join(dir, 'checkpoints')}`,
        '-D', `state.savepoints.dir=${join(dir, 'savepoints')}`,
        '-D', `rest.port=${restPort}`,
        '-D', `security.auth.token=${TOKEN}`,
      ],
    });
    writeFileSync(join(dir, 'job.ts'), JOB);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const m = (): string[] => ['-m', cluster.address];
  const out = (): string => join(dir, 'out');
  const vertices = async (): Promise<RestVertex[]> => ((await (await fetch(`${rest}/jobs/${jobId}`)).json()) as { vertices: RestVertex[] }).vertices;
  const put = (body: unknown, token = TOKEN): Promise<Response> =>
    fetch(`${rest}/jobs/${jobId}/resource-requirements`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const moreLines = async (n: number): Promise<void> => {
    const target = committedLines(out()).length + n;
    await waitFor(`${target} committed lines`, () => committedLines(out()).length >= target, 90_000, 200);
  };
  const rescale = async (n: number): Promise<void> => {
    const res = await runCli(['rescale', ...m(), '-p', String(n), jobId], env, 150_000);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe(`Rescaled job ${jobId} to parallelism ${n}.`);
    expect(res.code).toBe(0);
    expect((await vertices()).map((v) => [v.parallelism, v.status])).toEqual([[n, 'RUNNING'], [n, 'RUNNING']]);
    const status = await runCli(['status', ...m(), jobId], env);
    expect(status.stdout).toMatch(new RegExp(`\\s${n}\\s+RUNNING`));
  };

  it('rescales 2 → 5 → 1 with fluss rescale and one vertex with a REST PUT: output exactly once', async () => {
    const run = await runCli(['run', ...m(), '-d', '-p', '2', join(dir, 'job.ts'), out()], env);
    expect(run.stderr).toBe('');
    jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)![1]!;
    await moreLines(1_500);

    await rescale(5);
    await moreLines(1_500);
    await rescale(1);
    await moreLines(1_500);

    const [source, keyed] = await vertices();
    const requirements = (await (await fetch(`${rest}/jobs/${jobId}/resource-requirements`)).json()) as Record<string, unknown>;
    expect(requirements).toEqual({
      [source!.id]: { parallelism: { lowerBound: 1, upperBound: 1 } },
      [keyed!.id]: { parallelism: { lowerBound: 1, upperBound: 1 } },
    });
    const res = await put({ [keyed!.id]: { parallelism: { lowerBound: 1, upperBound: 3 } } });
    expect(res.status).toBe(200);
    type History = { rescales: { to: Record<string, number> }[] };
    const history = async (): Promise<History> => (await (await fetch(`${rest}/jobs/${jobId}/rescales`)).json()) as History;
    await waitFor('the keyed vertex rescaled to 3', async () => (await history()).rescales.length === 3, 90_000, 200);
    expect((await history()).rescales.map((r) => r.to[keyed!.id])).toEqual([5, 1, 3]);
    expect((await vertices()).map((v) => [v.parallelism, v.status])).toEqual([[1, 'RUNNING'], [3, 'RUNNING']]);
    const status = await runCli(['status', ...m(), jobId], env);
    expect(status.stdout).toMatch(/\s3\s+RUNNING/);
    // The dashboard's Scaling panel reads these routes (src/web/scaling.js).
    const page = await (await fetch(`${rest}/`)).text();
    expect(page).toContain('id="scaling"');
    expect((await fetch(`${rest}/scaling.js`)).status).toBe(200);
    await moreLines(1_500);

    const stop = await runCli(['stop', ...m(), '-p', join(dir, 'savepoints'), jobId], env, 120_000);
    expect(stop.code).toBe(0);

    expectExactlyOnce(out());
  }, 300_000);

  it('refuses bad rescale requests with one line or a JSON error, and nothing changes', async () => {
    const cli = async (args: string[]): Promise<string> => {
      const res = await runCli(['rescale', ...m(), ...args], env);
      expect(res.code).not.toBe(0);
      expect(res.stdout).toBe('');
      const errLines = res.stderr.trim().split('\n');
      expect(errLines).toHaveLength(1);
      return errLines[0]!;
    };
    const other = 'ab'.repeat(16);
    const running = await runCli(['run', ...m(), '-d', '-p', '1', join(dir, 'job.ts'), join(dir, 'out2')], env);
    jobId = /JobID ([0-9a-f]{32})/.exec(running.stdout)![1]!;
    await waitFor('the second job running', async () => (await vertices()).every((v) => v.status === 'RUNNING'), 60_000, 200);
    expect(await cli(['-p', '0', jobId])).toContain('at least 1');
    expect(await cli(['--parallelism=-3', jobId])).toContain('at least 1');
    expect(await cli(['-p', '2.5', jobId])).toContain('positive integer');
    expect(await cli(['-p', '2', other])).toContain('not found');
    expect(await cli(['-p', '300', jobId])).toContain('above the job');
    const [source] = await vertices();
    const refused = async (res: Response, status: number, text: string): Promise<void> => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { errors: string[] };
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain(text);
    };
    await refused(await put({ nope: { parallelism: { lowerBound: 1, upperBound: 2 } } }), 400, 'no vertex');
    await refused(await put({ [source!.id]: { parallelism: { lowerBound: 3, upperBound: 2 } } }), 400, 'above upperBound');
    await refused(await put({ [source!.id]: { parallelism: { lowerBound: 0, upperBound: 2 } } }), 400, 'at least 1');
    await refused(await put({ [source!.id]: { parallelism: { lowerBound: 1, upperBound: 1.5 } } }), 400, 'integer');
    await refused(await put({ [source!.id]: { parallelism: { lowerBound: 1, upperBound: 9999 } } }), 400, 'max parallelism');
    await refused(await put('{not json'), 400, 'not valid JSON');
    await refused(await put({ [source!.id]: { parallelism: { lowerBound: 7, upperBound: 8 } } }), 409, 'needs at least 7 slots');
    await refused(await put({ [source!.id]: { parallelism: { lowerBound: 1, upperBound: 2 } } }, ''), 401, 'missing auth token');
    const missing = await fetch(`${rest}/jobs/${other}/resource-requirements`);
    expect(missing.status).toBe(404);
    expect((await vertices()).map((v) => [v.parallelism, v.status])).toEqual([[1, 'RUNNING'], [1, 'RUNNING']]);
    expect((await runCli(['cancel', ...m(), jobId], env)).code).toBe(0);
    await waitFor('the second job cancelled', async () => ((await (await fetch(`${rest}/jobs/${jobId}`)).json()) as { state: string }).state === 'CANCELED', 60_000, 200);
    expect(await cli(['-p', '2', jobId])).toContain('CANCELED');
    await refused(await put({ [source!.id]: { parallelism: { lowerBound: 1, upperBound: 2 } } }), 409, 'CANCELED');
  }, 120_000);
});
