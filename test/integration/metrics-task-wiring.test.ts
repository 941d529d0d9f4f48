/**
 * Task metrics travel from the runtime through TaskManager heartbeats to the JobManager's REST
 * API: a bounded job on a MiniCluster shows exact record counts per vertex once it finished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import type { JobBuilder } from '../../src/api/build-job.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { newId } from '../../src/core/ids.js';

interface VertexView {
  name: string;
  metrics: Record<string, number>;
}

describe('task metrics in the REST API', () => {
  let cluster: MiniCluster;
  beforeAll(async () => {
    cluster = new MiniCluster({ numTaskManagers: 2, slotsPerTaskManager: 1, config: { 'heartbeat.interval': 100 } });
    await cluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reports the records each vertex read and wrote', async () => {
    const builder: JobBuilder = (env) => {
      env.setParallelism(2);
      env
        .fromSequence(1, 50_000)
        .filter((x: number) => x % 5 !== 0) // 40 000 pass
        .keyBy((x: number) => x % 7)
        .map((x: number) => x * 2)
        .addSink(() => {});
    };
    const built = await buildJob(builder, []);
    const jobId = newId();
    const hash = registerInProcessJob(() => buildJob(builder, []), jobId);
    const client = new JobManagerClient(cluster.jobManagerAddress);
    try {
      await client.submitJob({ bundle: Buffer.from(hash), jobGraph: built.jobGraph, programArgs: [], jobId });
      expect((await client.watchJob(jobId)).status).toBe('FINISHED');

      // Final counts arrive with the next heartbeats after the tasks ended.
      const deadline = Date.now() + 10_000;
      let vertices: VertexView[] = [];
      while (Date.now() < deadline) {
        const res = await fetch(`http://${cluster.restAddress}/jobs/${jobId}`);
        vertices = ((await res.json()) as { vertices: VertexView[] }).vertices;
        if (vertices[1]?.metrics['read-records'] === 40_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const [source, sink] = vertices;
      expect(source!.name).toMatch(/^Source: .* -> Filter$/);
      expect(source!.metrics['write-records']).toBe(40_000);
      expect(sink!.metrics['read-records']).toBe(40_000);
      expect(sink!.metrics['write-records']).toBe(0);
    } finally {
      client.close();
      unregisterInProcessJob(hash);
    }
  });
});
