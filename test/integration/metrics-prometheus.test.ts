import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { Meter } from '../../src/cluster/metrics/metric-types.js';
import { MetricRegistry } from '../../src/cluster/metrics/metric-registry.js';
import { formatPrometheus } from '../../src/cluster/metrics/prometheus-exposition.js';
import { TaskMetricsReporter } from '../../src/cluster/taskmanager/task-metrics-reporter.js';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import type { TaskDeploymentDescriptor } from '../../src/runtime/task-deployment.js';
import { FakeTaskManager, twoVertexJobGraph, waitFor } from './jobmanager-harness.js';
import { rest } from './rest-test-cluster.js';

interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

const parse = (text: string): Map<string, ParsedFamily> =>
  new Map((parsePrometheusTextFormat(text) as ParsedFamily[]).map((f) => [f.name, f]));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('metric types', () => {
  it('a meter reports its rate over a sliding minute', () => {
    let now = 1_000_000;
    const meter = new Meter(() => now);
    for (let s = 0; s < 10; s++) {
      meter.markEvent(100);
      now += 1000;
    }
    expect(meter.getCount()).toBe(1000);
    expect(meter.getRate()).toBeCloseTo(100, 0);
    now += 120_000; // two quiet minutes: the window is empty again
    expect(meter.getRate()).toBe(0);
    meter.markEvent(30);
    now += 1000;
    expect(meter.getRate()).toBeGreaterThan(0);
    expect(meter.getCount()).toBe(1030);
  });

  it('renders HELP/TYPE lines and escaped labels that a Prometheus parser reads back', () => {
    const registry = new MetricRegistry();
    registry.counter('fluss_test_events', 'Events\nseen.', { job_name: 'a "quoted" \\ name' }).inc(5);
    registry.gauge('fluss_test_level', 'A level.', () => 2.5);
    registry.meter('fluss_test_records', 'Records.', { task_name: 'Map (1/2)' }).markEvent(7);
    const text = formatPrometheus(registry.collect());
    expect(text).toContain('# HELP fluss_test_events Events\\nseen.');
    expect(text).toContain('# TYPE fluss_test_events counter');
    const families = parse(text);
    expect(families.get('fluss_test_events')!.metrics[0]).toEqual({ value: '5', labels: { job_name: 'a "quoted" \\ name' } });
    expect(families.get('fluss_test_level')!.type).toBe('GAUGE');
    expect(families.get('fluss_test_records')!.type).toBe('COUNTER');
    expect(Number(families.get('fluss_test_recordsPerSecond')!.metrics[0]!.value)).toBeGreaterThan(0);
  });
});

function deployment(jobId: string, vertexId: string, subtaskIndex: number): TaskDeploymentDescriptor {
  return { jobId, jobName: 'word count', vertexId, subtaskIndex, attempt: 0, bundleHash: 'x', programArgs: [], inputGates: [], outputPartitions: [] };
}

describe('task metrics from TaskManager heartbeats to /metrics', () => {
  it('the TaskManager endpoint and the JobManager endpoint both expose the task metrics with Flink scope labels', async () => {
    const config = loadConfig({ properties: '', overrides: { 'jobmanager.rpc.port': 0, 'rest.port': 0, 'metrics.port': 0, 'heartbeat.interval': 100 } });
    const jm = new JobManager(config, silentLogger());
    await jm.start();
    cleanups.push(() => jm.stop());
    const tm = new FakeTaskManager(jm.address, 2);
    await tm.start();
    tm.stopHeartbeats(); // this test sends the heartbeats itself, with metrics
    cleanups.push(() => tm.stop());
    const client = new JobManagerClient(jm.address);
    cleanups.push(() => client.close());

    const graph = twoVertexJobGraph(2, 2);
    const jobId = await client.submitJob({ bundle: Buffer.from('x'), jobGraph: graph, programArgs: [] });
    await waitFor(() => tm.tasks.length === 4, 5_000, 'deployments');
    await tm.reportAll(jobId, 'RUNNING');

    // The TaskManager side: one metric group per deployed subtask, updated per batch.
    const reporter = new TaskMetricsReporter(loadConfig({ properties: '', overrides: { 'metrics.port': 0 } }), tm.taskManagerId);
    const groups = tm.tasks.map((t) => reporter.createTaskMetricGroup(t.deployment, graph.vertices.find((v) => v.id === t.deployment.vertexId)!));
    const src0 = groups.find((g) => g.identity.vertexId === 'src' && g.identity.subtaskIndex === 0)!;
    src0.recordsOut(500);
    src0.operator(0).recordsOut(500);
    src0.addBusyTime(300);
    src0.addBackPressuredTime(600);
    const map1 = groups.find((g) => g.identity.vertexId === 'map' && g.identity.subtaskIndex === 1)!;
    map1.recordsIn(250);
    map1.recordsOut(240);
    map1.operator(0).recordsIn(250);
    map1.setInputWatermark(1_700_000_000_000);
    map1.addIdleTime(900);
    await client.heartbeat(tm.taskManagerId, tm.registrationId, reporter.metricsJson());

    const base = `http://${jm.restAddress}`;
    const scrape = await rest(base, '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parse(scrape.text);
    expect(families.get('fluss_jobmanager_numRegisteredTaskManagers')!.metrics[0]!.value).toBe('1');
    expect(families.get('fluss_jobmanager_taskSlotsTotal')!.metrics[0]!.value).toBe('2');
    expect(families.get('fluss_jobmanager_numRunningJobs')!.metrics[0]!.value).toBe('1');
    for (const name of ['uptime', 'numRestarts', 'lastCheckpointDuration', 'lastCheckpointSize', 'numberOfCompletedCheckpoints', 'numberOfFailedCheckpoints']) {
      const f = families.get(`fluss_jobmanager_job_${name}`);
      expect(f, name).toBeDefined();
      expect(f!.metrics[0]!.labels).toEqual({ job_id: jobId, job_name: 'word count' });
    }
    expect(scrape.text).toMatch(/# HELP fluss_jobmanager_job_uptime .+\n# TYPE fluss_jobmanager_job_uptime gauge/);

    const recordsOut = families.get('fluss_taskmanager_job_task_numRecordsOut')!;
    expect(recordsOut.type).toBe('COUNTER');
    const src0Out = recordsOut.metrics.find((m) => m.labels!['vertex_id'] === 'src' && m.labels!['subtask_index'] === '0')!;
    expect(src0Out).toEqual({
      value: '500',
      labels: { job_id: jobId, job_name: 'word count', task_name: 'Source: words (1/2)', vertex_id: 'src', subtask_index: '0', tm_id: tm.taskManagerId },
    });
    const bp = families.get('fluss_taskmanager_job_task_backPressuredTimeMsPerSecond')!.metrics.find((m) => m.labels!['task_name'] === 'Source: words (1/2)')!;
    expect(Number(bp.value)).toBeGreaterThan(0);
    const opIn = families.get('fluss_taskmanager_job_task_operator_numRecordsIn')!.metrics.find((m) => m.labels!['task_name'] === 'Map (2/2)')!;
    expect(opIn.value).toBe('250');
    expect(opIn.labels!['operator_name']).toBe('Map');
    const wm = families.get('fluss_taskmanager_job_task_currentInputWatermark')!.metrics.find((m) => m.labels!['task_name'] === 'Map (2/2)')!;
    expect(Number(wm.value)).toBe(1_700_000_000_000);
    for (const n of ['numRecordsIn', 'numRecordsInPerSecond', 'numRecordsOutPerSecond', 'busyTimeMsPerSecond', 'idleTimeMsPerSecond']) {
      expect(families.has(`fluss_taskmanager_job_task_${n}`), n).toBe(true);
    }

    // The REST job view aggregates the same numbers per vertex.
    const job = (await rest(base, `/jobs/${jobId}`)).body;
    const src = job.vertices.find((v: any) => v.id === 'src');
    const map = job.vertices.find((v: any) => v.id === 'map');
    expect(src.metrics['write-records']).toBe(500);
    expect(src.metrics['backpressured-time-ms-per-second']).toBeGreaterThan(0);
    expect(map.metrics['read-records']).toBe(250);
    expect(map.metrics['write-records']).toBe(240);
    expect(map.metrics['reporting-subtasks']).toBe(2);

    // The TaskManager's own endpoint on metrics.port.
    const tmReporter = new TaskMetricsReporter(loadConfig({ properties: '', overrides: { 'metrics.port': await freeLoopbackPort() } }), tm.taskManagerId);
    await tmReporter.start();
    cleanups.push(() => tmReporter.stop());
    tmReporter.createTaskMetricGroup(deployment(jobId, 'map', 0), graph.vertices[1]!).recordsIn(42);
    const own = await fetch(`http://127.0.0.1:${tmReporter.port}/metrics`);
    expect(own.status).toBe(200);
    const ownFamilies = parse(await own.text());
    expect(ownFamilies.get('fluss_taskmanager_numRunningTasks')!.metrics[0]).toEqual({ value: '1', labels: { tm_id: tm.taskManagerId } });
    expect(ownFamilies.get('fluss_taskmanager_job_task_numRecordsIn')!.metrics[0]!.value).toBe('42');
    expect((await fetch(`http://127.0.0.1:${tmReporter.port}/other`)).status).toBe(404);

    // A malformed report does not break the heartbeat; the metrics stay as they were.
    await client.heartbeat(tm.taskManagerId, tm.registrationId, '{"tasks": 3}');
    expect((await rest(base, `/jobs/${jobId}`)).body.vertices.find((v: any) => v.id === 'src').metrics['write-records']).toBe(500);
  });

  it('a closed task is reported once more with its final counts, then no longer', () => {
    const reporter = new TaskMetricsReporter(loadConfig({ properties: '' }), 'tm-1');
    const graph = twoVertexJobGraph(1, 1);
    const g = reporter.createTaskMetricGroup(deployment('a'.repeat(32), 'src', 0), graph.vertices[0]!);
    g.recordsOut(10);
    reporter.releaseTaskMetricGroup(g);
    const first = JSON.parse(reporter.metricsJson());
    expect(first.tasks).toHaveLength(1);
    expect(first.tasks[0]).toMatchObject({ closed: true, numRecordsOut: 10, taskName: 'Source: words (1/1)' });
    expect(JSON.parse(reporter.metricsJson()).tasks).toEqual([]);
  });
});

async function freeLoopbackPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
