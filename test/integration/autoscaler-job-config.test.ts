/**
 * The autoscaler per job and the backlog it reads, on a real in-process cluster: a job's own
 * configuration (`env.configure`) turns the autoscaler on or off for that job over the cluster's
 * `jobmanager.autoscaler.enabled`, and a source's `pendingRecords` reaches REST
 * (`/jobs/:jid/vertices/:vid/metrics`, Prometheus) and the autoscaler's evaluations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { WatermarkStrategy } from '../../src/common/watermark-strategy.js';
import { eventually, rest, startRestTestCluster, type RestTestCluster } from './rest-test-cluster.js';

let cluster: RestTestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const FAST = { 'jobmanager.autoscaler.interval': 100, 'jobmanager.autoscaler.metrics.window': 300, 'jobmanager.autoscaler.stabilization.interval': 0 };

/** A slow generator job; `autoscaler` set: the job's own `jobmanager.autoscaler.enabled`. */
function job(autoscaler?: boolean) {
  return (env: any) => {
    if (autoscaler !== undefined) env.configure({ 'jobmanager.autoscaler.enabled': autoscaler });
    env
      .fromSource(new DataGeneratorSource((i: number) => i, Infinity, { ratePerSecond: 50 }), WatermarkStrategy.noWatermarks(), 'gen')
      .rebalance()
      .map((x: number) => x + 1)
      .addSink(() => {});
  };
}

async function autoscalerOf(jobId: string): Promise<any> {
  return (await rest(cluster!.baseUrl, `/jobs/${jobId}/autoscaler`)).body;
}

describe('autoscaler enabled per job', () => {
  it('a job enabling it on a cluster with the autoscaler disabled is autoscaled; the cluster\'s other jobs are not', async () => {
    cluster = await startRestTestCluster({ taskManagers: 1, slots: 4, config: FAST });
    const enabled = await cluster.submit(job(true), 'enabled by the job');
    const other = await cluster.submit(job(), 'cluster default');
    const evaluated = await eventually('an evaluation of the job enabling the autoscaler', async () => (await autoscalerOf(enabled)).lastEvaluation, 20_000);
    expect((await autoscalerOf(enabled)).enabled).toBe(true);
    // Every vertex may move up to its max parallelism: the job is registered with the autoscaler.
    const bounds = (await rest(cluster.baseUrl, `/jobs/${enabled}/resource-requirements`)).body;
    expect(Object.values(bounds).map((b: any) => b.parallelism.upperBound)).toEqual([128, 128]);
    expect(evaluated.vertices).toHaveLength(2);
    // Both jobs ran through the same ticks: the other one was never evaluated.
    const view = await autoscalerOf(other);
    expect(view).toMatchObject({ enabled: false, lastEvaluation: null, decisions: [] });
  });

  it('a job disabling it on a cluster with the autoscaler enabled is left alone; its source\'s backlog reaches REST and the evaluations', async () => {
    cluster = await startRestTestCluster({ taskManagers: 1, slots: 4, config: { ...FAST, 'jobmanager.autoscaler.enabled': true } });
    const autoscaled = await cluster.submit(job(), 'cluster default');
    const disabled = await cluster.submit(job(false), 'disabled by the job');
    const evaluated = await eventually('an evaluation of the autoscaled job', async () => (await autoscalerOf(autoscaled)).lastEvaluation, 20_000);
    // The rate-limited generator reports the records due but not emitted yet.
    expect(typeof evaluated.vertices[0].pendingRecords).toBe('number');
    expect(evaluated.vertices[0]).toHaveProperty('catchUpRate');
    expect(evaluated.vertices[1].pendingRecords).toBeNull();
    expect(await autoscalerOf(disabled)).toMatchObject({ enabled: false, lastEvaluation: null, decisions: [] });
    const bounds = (await rest(cluster.baseUrl, `/jobs/${disabled}/resource-requirements`)).body;
    expect(Object.values(bounds).map((b: any) => b.parallelism.upperBound)).toEqual([1, 1]);

    const source = (await rest(cluster.baseUrl, `/jobs/${disabled}`)).body.vertices[0];
    const listed = (await rest(cluster.baseUrl, `/jobs/${disabled}/vertices/${source.id}/metrics`)).body;
    expect(listed.map((m: any) => m.id)).toContain('0.Source__gen.pendingRecords');
    const got = (await rest(cluster.baseUrl, `/jobs/${disabled}/vertices/${source.id}/metrics?get=0.Source__gen.pendingRecords,0.nope`)).body;
    expect(got).toHaveLength(1);
    expect(Number(got[0].value)).toBeGreaterThanOrEqual(0);
    const prometheus = (await rest(cluster.baseUrl, '/metrics')).text;
    expect(prometheus).toMatch(/fluss_taskmanager_job_task_operator_pendingRecords\{[^}]*operator_name="Source: gen"/);
  });
});
