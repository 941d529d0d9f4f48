/**
 * The REST API under a token: reads stay open, writes (PATCH cancel, POST savepoints) need
 * `Authorization: Bearer <token>` and get 401 with one line without it; savepoint target
 * directories are kept inside the configured roots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { twoVertexJobGraph } from './jobmanager-harness.js';

const TOKEN = 'rest-token-0123456789abcdef';
let dir: string;
let jm: JobManager;
let client: JobManagerClient;
let base: string;
let jobId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluss-sec-rest-'));
  jm = new JobManager(
    loadConfig({
      properties: '',
      overrides: {
        'jobmanager.rpc.port': 0,
        'rest.port': 0,
        'security.auth.token': TOKEN,
        'state.savepoints.dir': join(dir, 'savepoints'),
        'state.checkpoints.dir': join(dir, 'checkpoints'),
      },
    }),
    silentLogger(),
  );
  await jm.start();
  base = `http://${jm.restAddress}`;
  client = new JobManagerClient(jm.address, { security: { token: TOKEN } });
  // No TaskManager: the job waits for slots, so it stays non-terminal.
  jobId = await client.submitJob({ bundle: Buffer.from('module.exports = {}'), jobGraph: twoVertexJobGraph(1, 1), programArgs: [] });
});

afterAll(async () => {
  client?.close();
  await jm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: { errors?: string[] } }> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: (await res.json()) as { errors?: string[] } };
}

describe('REST under a token', () => {
  it('serves reads without the token', async () => {
    expect((await call('/jobs/overview')).status).toBe(200);
    expect((await call(`/jobs/${jobId}`)).status).toBe(200);
  });

  it('refuses writes without the token, or with another, with 401 and one line', async () => {
    expect(await call(`/jobs/${jobId}?mode=cancel`, { method: 'PATCH' })).toEqual({
      status: 401,
      body: { errors: ['missing auth token: send "Authorization: Bearer <security.auth.token>"'] },
    });
    expect(await call(`/jobs/${jobId}/savepoints`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer nope' } })).toEqual({
      status: 401,
      body: { errors: ['invalid auth token'] },
    });
    expect((await client.getJob(jobId)).status).not.toBe('CANCELED');
  });

  it('validates savepoint requests and keeps target directories inside the configured roots', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    const escape = await call(`/jobs/${jobId}/savepoints`, { method: 'POST', headers, body: JSON.stringify({ 'target-directory': '../../etc' }) });
    expect(escape.status).toBe(400);
    expect(escape.body.errors![0]).toMatch(/^"target-directory" "..\/..\/etc" is outside the configured directories/);
    const absolute = await call(`/jobs/${jobId}/savepoints`, { method: 'POST', headers, body: JSON.stringify({ 'target-directory': '/tmp' }) });
    expect(absolute.status).toBe(400);
    const unknown = await call(`/jobs/${jobId}/savepoints`, { method: 'POST', headers, body: JSON.stringify({ 'cancel-job': 'yes' }) });
    expect(unknown).toEqual({ status: 400, body: { errors: ['invalid savepoint request: "cancel-job" Invalid input: expected boolean, received string'] } });
    const inside = await call(`/jobs/${jobId}/savepoints`, { method: 'POST', headers, body: JSON.stringify({ 'target-directory': join(dir, 'savepoints', 'x') }) });
    expect(inside.status).toBe(409);
  });

  it('accepts a write with the token from loopback', async () => {
    const res = await call(`/jobs/${jobId}?mode=cancel`, { method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(202);
    expect(['CANCELLING', 'CANCELED']).toContain((await client.getJob(jobId)).status);
  });
});
