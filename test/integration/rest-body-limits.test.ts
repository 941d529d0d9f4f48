/**
 * Request bodies of the REST API: one over the 1 MB limit gets `413` with a JSON error before it
 * is read in full (whether announced by Content-Length, by `Expect: 100-continue`, or sent
 * chunked), never a connection reset; a body that is not JSON gets `400`; the server keeps
 * answering afterwards.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRestTestCluster, type RestTestCluster } from './rest-test-cluster.js';

let cluster: RestTestCluster;
let host: string;
let port: number;

beforeAll(async () => {
  cluster = await startRestTestCluster({ taskManagers: 0 });
  const url = new URL(cluster.baseUrl);
  host = url.hostname;
  port = Number(url.port);
});
afterAll(async () => {
  await cluster?.stop();
});

const JOB = '0123456789abcdef0123456789abcdef';
const THREE_MB = Buffer.alloc(3 * 1024 * 1024, 'a');

interface Answer {
  status: number;
  body: any;
  /** Whether the server asked for the body (100 Continue). */
  continued: boolean;
  /** Bytes of the body written before the answer arrived. */
  writtenBeforeAnswer: number;
}

/**
 * POSTs `body` in 64 KB pieces; `mode` picks how the body is announced. Only the first
 * `pauseAfter` bytes go out at once: the rest follows after a long pause, unless the answer
 * came first, which shows that the server answered before it had the whole body.
 */
function post(path: string, body: Buffer, mode: 'length' | 'expect' | 'chunked', pauseAfter = body.length): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (mode !== 'chunked') headers['content-length'] = body.length;
    if (mode === 'expect') headers['expect'] = '100-continue';
    const req = request({ host, port, path, method: 'POST', headers });
    let written = 0;
    let answered = false;
    let continued = false;
    let paused = false;
    const writeFrom = (offset: number): void => {
      while (offset < body.length && !answered) {
        if (offset >= pauseAfter && !paused) {
          paused = true;
          setTimeout(() => writeFrom(offset), 15_000).unref();
          return;
        }
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        written += piece.length;
        if (!req.write(piece)) {
          req.once('drain', () => writeFrom(offset));
          return;
        }
      }
      if (!answered) req.end();
    };
    req.on('continue', () => {
      continued = true;
      writeFrom(0);
    });
    req.on('response', (res) => {
      answered = true;
      const writtenBeforeAnswer = written;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), continued, writtenBeforeAnswer });
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (mode !== 'expect') writeFrom(0);
    else req.flushHeaders();
  });
}

async function overviewStatus(): Promise<number> {
  const res = await fetch(`${cluster.baseUrl}/overview`);
  await res.text();
  return res.status;
}

describe('REST request bodies', () => {
  it('answers 413 with a JSON error to a 3 MB savepoint request announced by Content-Length', async () => {
    const r = await post(`/jobs/${JOB}/savepoints`, THREE_MB, 'length', 64 * 1024);
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ errors: ['request body larger than 1048576 bytes'] });
    expect(r.writtenBeforeAnswer).toBe(64 * 1024);
    expect(await overviewStatus()).toBe(200);
  });

  it('answers 413 without asking for the body when the client expects 100-continue', async () => {
    const r = await post(`/jobs/${JOB}/savepoints`, THREE_MB, 'expect');
    expect(r.status).toBe(413);
    expect(r.continued).toBe(false);
    expect(r.writtenBeforeAnswer).toBe(0);
    expect(r.body.errors[0]).toMatch(/larger than 1048576 bytes/);
  });

  it('answers 413 to a chunked body once it crosses the limit', async () => {
    const r = await post(`/jobs/${JOB}/savepoints`, THREE_MB, 'chunked', 1024 * 1024 + 128 * 1024);
    expect(r.status).toBe(413);
    expect(r.writtenBeforeAnswer).toBe(1024 * 1024 + 128 * 1024);
    expect(r.body).toEqual({ errors: ['request body larger than 1048576 bytes'] });
    expect(await overviewStatus()).toBe(200);
  });

  it('answers 413 on any route with a body, and keeps a small body under the limit', async () => {
    const patch = await fetch(`${cluster.baseUrl}/jobs/${JOB}?mode=cancel`, { method: 'PATCH', body: THREE_MB });
    expect(patch.status).toBe(413);
    expect(await patch.json()).toEqual({ errors: ['request body larger than 1048576 bytes'] });
    const small = await fetch(`${cluster.baseUrl}/jobs/${JOB}/savepoints`, { method: 'POST', body: '{}' });
    expect(small.status).toBe(404);
  });

  it('answers 400 with a JSON error to a body that is not JSON, whatever the job', async () => {
    for (const body of ['not json', '{"target-directory": ', '[1,2]', '"text"']) {
      const res = await fetch(`${cluster.baseUrl}/jobs/${JOB}/savepoints`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const json = (await res.json()) as { errors: string[] };
      expect(json.errors).toHaveLength(1);
      expect(json.errors[0]).toMatch(/^request body (is not valid JSON: |must be a JSON object)/);
    }
  });
});
