import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { WatermarkStrategy } from '../../src/common/watermark-strategy.js';
import { eventually, rest, startRestTestCluster, type RestTestCluster } from './rest-test-cluster.js';

let cluster: RestTestCluster;

beforeAll(async () => {
  cluster = await startRestTestCluster({ taskManagers: 2, slots: 2 });
});
afterAll(async () => {
  await cluster?.stop();
});

const endless = (env: any) => {
  env.setParallelism(2);
  env
    .fromSource(new DataGeneratorSource((i: number) => `word-${i % 7}`, Infinity, { ratePerSecond: 200 }), WatermarkStrategy.noWatermarks(), 'words')
    .map((w: string) => w.toUpperCase())
    .name('Upper')
    .keyBy((w: string) => w)
    .addSink(() => {})
    .name('Discard');
};

describe('REST API of the JobManager', () => {
  it('answers /overview and /taskmanagers with the registered TaskManagers and slots', async () => {
    const ov = await rest(cluster.baseUrl, '/overview');
    expect(ov.status).toBe(200);
    expect(ov.contentType).toMatch(/^application\/json/);
    expect(ov.body).toMatchObject({ taskmanagers: 2, 'slots-total': 4, 'jobs-running': 0, 'jobs-finished': 0, 'jobs-cancelled': 0, 'jobs-failed': 0 });
    expect(ov.body['fluss-version']).toMatch(/^\d+\.\d+\.\d+/);
    const tms = await rest(cluster.baseUrl, '/taskmanagers');
    expect(tms.body.taskmanagers).toHaveLength(2);
    const ids = cluster.taskManagers.map((t) => t.taskManagerId).sort();
    expect(tms.body.taskmanagers.map((t: any) => t.id).sort()).toEqual(ids);
    for (const t of tms.body.taskmanagers) {
      expect(t.path).toBe(cluster.taskManagers.find((tm) => tm.taskManagerId === t.id)!.address);
      expect(t.slotsNumber).toBe(2);
      expect(t.timeSinceLastHeartbeat).toBeLessThan(5_000);
    }
  });

  it('shows a running job with its vertices and plan, then cancels it with PATCH ?mode=cancel', async () => {
    const jobId = await cluster.submit(endless, 'endless words');
    // A vertex counts as RUNNING once one subtask runs; wait until every task does.
    let entry: any;
    await eventually('job RUNNING with all tasks running', async () => {
      const r = await rest(cluster.baseUrl, `/jobs/${jobId}`);
      const ov = await rest(cluster.baseUrl, '/jobs/overview');
      entry = ov.body.jobs.find((j: any) => j.jid === jobId);
      return (
        r.body.state === 'RUNNING' && r.body.vertices.every((v: any) => v.status === 'RUNNING') && entry?.tasks.running === entry?.tasks.total
      );
    });
    expect(entry).toMatchObject({ name: 'endless words', state: 'RUNNING', 'end-time': -1 });
    expect(entry.tasks.total).toBe(entry.tasks.running);
    expect(entry.duration).toBeGreaterThanOrEqual(0);

    const job = (await rest(cluster.baseUrl, `/jobs/${jobId}`)).body;
    expect(job.jid).toBe(jobId);
    expect(job.vertices.length).toBeGreaterThanOrEqual(2);
    for (const v of job.vertices) {
      expect(v.parallelism).toBe(2);
      expect(v.metrics).toHaveProperty('read-records');
      expect(v.metrics).toHaveProperty('write-records');
    }
    expect(job.plan.nodes.map((n: any) => n.id)).toEqual(job.vertices.map((v: any) => v.id));
    const withInputs = job.plan.nodes.filter((n: any) => n.inputs.length > 0);
    expect(withInputs.length).toBeGreaterThan(0);
    expect(withInputs.some((n: any) => n.inputs[0].ship_strategy === 'HASH')).toBe(true);
    expect((await rest(cluster.baseUrl, '/overview')).body['jobs-running']).toBe(1);

    const cancel = await rest(cluster.baseUrl, `/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    expect(cancel.status).toBe(202);
    await eventually('job CANCELED', async () => (await rest(cluster.baseUrl, `/jobs/${jobId}`)).body.state === 'CANCELED');
    const after = (await rest(cluster.baseUrl, '/overview')).body;
    expect(after['jobs-cancelled']).toBe(1);
    expect(after['slots-available']).toBe(4);
    // A cancel is not a failure: consumers losing their cancelled producers are not recorded.
    const ex = (await rest(cluster.baseUrl, `/jobs/${jobId}/exceptions`)).body;
    expect(ex.exceptionHistory.entries).toEqual([]);
    expect(ex['root-exception']).toBeNull();
    const again = await rest(cluster.baseUrl, `/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    expect(again.status).toBe(409);
    expect(again.body.errors[0]).toMatch(/CANCELED/);
  });

  it('reports checkpoints in Flink shape (empty without checkpointing) and refuses savepoints with a clear error', async () => {
    const jobId = await cluster.submit(endless, 'no checkpoints');
    await eventually('running', async () => (await rest(cluster.baseUrl, `/jobs/${jobId}`)).body.state === 'RUNNING');
    const cp = (await rest(cluster.baseUrl, `/jobs/${jobId}/checkpoints`)).body;
    expect(cp.counts).toEqual({ restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 });
    expect(cp.latest).toEqual({ completed: null, savepoint: null, failed: null, restored: null });
    expect(cp.history).toEqual([]);
    expect(cp.summary.end_to_end_duration).toMatchObject({ min: 0, max: 0, avg: 0 });

    const sp = await rest(cluster.baseUrl, `/jobs/${jobId}/savepoints`, { method: 'POST', body: JSON.stringify({ 'cancel-job': false }) });
    expect(sp.status).toBe(409);
    expect(sp.body).toEqual({ errors: ['savepoints are not available for this job: checkpointing is not enabled'] });
    const bad = await rest(cluster.baseUrl, `/jobs/${jobId}/savepoints`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/not valid JSON/);
    await rest(cluster.baseUrl, `/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    await eventually('canceled', async () => (await rest(cluster.baseUrl, `/jobs/${jobId}`)).body.state === 'CANCELED');
  });

  it('records a failing job in /jobs/:jid/exceptions with the task name and time', async () => {
    const before = Date.now();
    const jobId = await cluster.submit((env: any) => {
      env.fromElements(1, 2, 3)
        .map((x: number) => {
          if (x === 2) throw new RangeError('two is not allowed');
          return x;
        })
        .name('Picky')
        .addSink(() => {});
    }, 'failing');
    await eventually('FAILED', async () => (await rest(cluster.baseUrl, `/jobs/${jobId}`)).body.state === 'FAILED');
    const ex = (await rest(cluster.baseUrl, `/jobs/${jobId}/exceptions`)).body;
    expect(ex['root-exception']).toMatch(/two is not allowed/);
    expect(ex.timestamp).toBeGreaterThanOrEqual(before);
    const entry = ex.exceptionHistory.entries[0];
    expect(entry.stacktrace).toMatch(/Picky.*RangeError: two is not allowed/);
    expect(entry.taskName).toMatch(/Picky.*\(1\/1\)/);
    expect(entry.location).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await rest(cluster.baseUrl, '/overview')).body['jobs-failed']).toBe(1);
    const overviewEntry = (await rest(cluster.baseUrl, '/jobs/overview')).body.jobs.find((j: any) => j.jid === jobId);
    expect(overviewEntry['end-time']).toBeGreaterThanOrEqual(overviewEntry['start-time']);
  });

  it('answers unknown paths and job ids with 404 and malformed ids and modes with 400, as JSON', async () => {
    const unknownPath = await rest(cluster.baseUrl, '/no/such/thing');
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.body.errors[0]).toMatch(/Not found/);
    const unknownJob = await rest(cluster.baseUrl, `/jobs/${'0'.repeat(32)}`);
    expect(unknownJob.status).toBe(404);
    expect(unknownJob.body).toEqual({ errors: [`Job ${'0'.repeat(32)} not found`] });
    for (const p of ['/checkpoints', '/exceptions']) expect((await rest(cluster.baseUrl, `/jobs/${'a'.repeat(32)}${p}`)).status).toBe(404);
    const malformed = await rest(cluster.baseUrl, '/jobs/not-a-job-id');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0]).toMatch(/not a job id/);
    expect((await rest(cluster.baseUrl, `/jobs/xyz/exceptions`)).status).toBe(400);
    const jobs = (await rest(cluster.baseUrl, '/jobs/overview')).body.jobs;
    const badMode = await rest(cluster.baseUrl, `/jobs/${jobs[0].jid}?mode=stop`, { method: 'PATCH' });
    expect(badMode.status).toBe(400);
    const wrongMethod = await rest(cluster.baseUrl, '/overview', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.errors[0]).toMatch(/DELETE is not allowed/);
  });

  it('serves the dashboard page and its script at /', async () => {
    const page = await rest(cluster.baseUrl, '/');
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(page.text).toContain('<script src="app.js"></script>');
    const js = await rest(cluster.baseUrl, '/app.js');
    expect(js.contentType).toMatch(/javascript/);
    expect((await rest(cluster.baseUrl, '/..%2Fpackage.json')).status).toBe(404);
  });
});
