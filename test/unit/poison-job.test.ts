/**
 * Poison records in a running job: a FileSource with a JSON line decoder over a file with
 * malformed lines, on a mini-cluster (real JobManager and TaskManager over loopback gRPC).
 * Under `fail` the job FAILED naming the source and the line; under `skip` (the cluster's
 * `pipeline.poison-records.policy`, or the source's own) it FINISHED with the good records and
 * the dropped ones counted in numRecordsDropped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { WatermarkStrategy, type StreamExecutionEnvironment } from '../../src/api/index.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { TaskManagerMetrics } from '../../src/cluster/metrics/task-manager-metrics.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { FileSource } from '../../src/connectors/file-source.js';
import { numRecordsDropped, type PoisonRecordPolicy } from '../../src/connectors/poison-records.js';
import { newId } from '../../src/core/ids.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-poison-job-'));
const file = join(dir, 'orders.jsonl');
const good = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i, amount: i * 3 }));
const withPoison = [...good.slice(0, 10), '{"id": 10, "amount":', ...good.slice(10, 30), 'garbage', '', ...good.slice(30)];
writeFileSync(file, `${withPoison.join('\n')}\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Order { id: number; amount: number }

/** Runs the job on a fresh cluster with `clusterPolicy`; the source may choose its own. */
async function run(clusterPolicy: PoisonRecordPolicy, sourcePolicy: PoisonRecordPolicy | undefined, name: string) {
  const cluster = new MiniCluster({ config: { 'pipeline.poison-records.policy': clusterPolicy } });
  await cluster.start();
  const client = new JobManagerClient(cluster.jobManagerAddress);
  const received: Order[] = [];
  const builder = (env: StreamExecutionEnvironment): void => {
    let source = FileSource.forLines(file, { decode: (line) => JSON.parse(line) as Order });
    if (sourcePolicy) source = source.withPoisonPolicy(sourcePolicy);
    env
      .fromSource(source, WatermarkStrategy.noWatermarks(), name)
      .filter((o) => o.amount >= 0)
      .addSink((o: Order) => {
        received.push(o);
      });
  };
  const build = () => buildJob(builder, []);
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  try {
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph: (await build()).jobGraph, programArgs: [], jobId });
    const info = await client.watchJob(jobId);
    return { info, received };
  } finally {
    unregisterInProcessJob(hash);
    client.close();
    await cluster.stop();
  }
}

describe('poison records in a job', () => {
  it('fail (default): the job FAILED naming the source and the malformed line', async () => {
    const { info } = await run('fail', undefined, 'orders-fail');
    expect(info.status).toBe('FAILED');
    expect(info.failureCause).toContain('orders-fail');
    expect(info.failureCause).toContain('cannot decode the line at byte');
    expect(info.failureCause).toContain('("{\\"id\\": 10, \\"amount\\":")');
  });

  it('skip from pipeline.poison-records.policy: FINISHED with every good record, the rest counted', async () => {
    const { info, received } = await run('skip', undefined, 'orders-skip');
    expect(info.status).toBe('FINISHED');
    expect(received.map((o) => o.id)).toEqual(good.map((_, i) => i));
    // The empty line is malformed JSON too.
    expect(numRecordsDropped('Source: orders-skip')).toBe(3);
    // …and exposed by the TaskManager's Prometheus endpoint.
    const dropped = new TaskManagerMetrics('tm-1').collect().find((f) => f.name === 'fluss_taskmanager_source_numRecordsDropped');
    expect(dropped?.type).toBe('counter');
    expect(dropped?.samples).toContainEqual({ labels: { tm_id: 'tm-1', source_name: 'Source: orders-skip' }, value: 3 });
  });

  it("a source's own skip policy overrides the cluster's fail", async () => {
    const { info, received } = await run('fail', 'skip', 'orders-own');
    expect(info.status).toBe('FINISHED');
    expect(received).toHaveLength(40);
  });
});
