import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import {
  DescriptiveStatisticsHistogram,
  InvalidArgumentError,
  MeterView,
  OperatorTestHarness,
  RichMapFunction,
  SimpleCounter,
  type Counter,
} from '../../src/index.js';
import { UserMetricGroup } from '../../src/common/metrics/metric-group.js';
import { userMetricGroupsOf } from '../../src/common/metrics/user-metric-registry.js';
import { formatPrometheus } from '../../src/cluster/metrics/prometheus-exposition.js';
import { TaskManagerMetrics } from '../../src/cluster/metrics/task-manager-metrics.js';
import { taskMetricFamilies } from '../../src/cluster/metrics/task-metric-families.js';
import { parseTaskManagerMetricsReport } from '../../src/cluster/metrics/task-metrics-snapshot.js';
import type { JobVertex } from '../../src/common/job-graph.js';
import { StreamingRuntimeContext } from '../../src/runtime/streaming-runtime-context.js';
import { OperatorStateStore } from '../../src/state/operator-state-store.js';

interface ParsedFamily {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; quantiles?: Record<string, string> }[];
}
const parse = (text: string): Map<string, ParsedFamily> => new Map((parsePrometheusTextFormat(text) as ParsedFamily[]).map((f) => [f.name, f]));

describe('metric types', () => {
  it('SimpleCounter counts up and down', () => {
    const c = new SimpleCounter();
    c.inc();
    c.inc(5);
    c.dec();
    c.dec(2);
    expect(c.getCount()).toBe(3);
  });

  it('MeterView: the rate over its time span, from a counter of its own or a given one', () => {
    let now = 1_000_000;
    const m = new MeterView(10, () => now);
    for (let s = 0; s < 10; s++) {
      m.markEvent(50);
      now += 1000;
      m.getRate(); // collection samples the count once a second or less
    }
    expect(m.getCount()).toBe(500);
    expect(m.getRate()).toBeCloseTo(50, 5);
    now += 20_000; // no events for longer than the span
    m.getRate();
    now += 1000;
    expect(m.getRate()).toBe(0);
    const counter = new SimpleCounter();
    const shared = new MeterView(counter, 60, () => now);
    shared.markEvent(3);
    expect(counter.getCount()).toBe(3);
  });

  it('DescriptiveStatisticsHistogram: statistics of the last N values', () => {
    const h = new DescriptiveStatisticsHistogram(100);
    for (let i = 1; i <= 200; i++) h.update(i);
    const s = h.getStatistics();
    expect(h.getCount()).toBe(200);
    expect(s.size()).toBe(100);
    expect(s.getMin()).toBe(101);
    expect(s.getMax()).toBe(200);
    expect(s.getMean()).toBe(150.5);
    expect(s.getQuantile(0.5)).toBe(150.5);
  });
});

describe('MetricGroup', () => {
  it('registers counters (the same one twice by name), gauges, meters, histograms and groups', () => {
    const g = new UserMetricGroup();
    const c = g.counter('events');
    expect(g.counter('events')).toBe(c);
    const mine: Counter = new SimpleCounter();
    expect(g.counter('custom', mine)).toBe(mine);
    c.inc(4);
    let level = 7;
    g.gauge('level', () => level);
    g.gauge('ok', { getValue: () => true });
    g.gauge('text', () => 'not a number');
    g.addGroup('inner').counter('n').inc(2);
    g.addGroup('region', 'eu').counter('n').inc(3);
    level = 9;
    const byPath = new Map(g.collect().map((s) => [`${s.path.join('.')}${JSON.stringify(s.labels)}`, s.value]));
    expect(byPath.get('events{}')).toBe(4);
    expect(byPath.get('level{}')).toBe(9);
    expect(byPath.get('ok{}')).toBe(1);
    expect(byPath.has('text{}')).toBe(false);
    expect(byPath.get('inner.n{}')).toBe(2);
    expect(byPath.get('region.n{"region":"eu"}')).toBe(3);
    expect(g.addGroup('inner').getMetricIdentifier('n')).toBe('inner.n');
    expect(() => g.counter('')).toThrow(InvalidArgumentError);
    expect(() => g.meter('m', {} as never)).toThrow(InvalidArgumentError);
  });

  it('getRuntimeContext().getMetricGroup() in a function: one group per operator, counted by the function', async () => {
    class Counting extends RichMapFunction<string, string> {
      private counter!: Counter;
      override open(): void {
        this.counter = this.getRuntimeContext().getMetricGroup().counter('words');
      }
      map(v: string): string {
        this.counter.inc();
        return v;
      }
    }
    const fn = new Counting();
    const h = await OperatorTestHarness.forStream<string, string>((s) => s.map(fn));
    for (const w of ['a', 'b', 'c']) h.processElement(w);
    expect(fn.getRuntimeContext().getMetricGroup().counter('words').getCount()).toBe(3);
    await h.close();
  });
});

describe('user metrics on the TaskManager', () => {
  const vertex: JobVertex = {
    id: 'v1',
    name: 'Source: words -> Tokenizer',
    parallelism: 2,
    maxParallelism: 128,
    operators: [
      { operatorId: 'op-src', name: 'Source: words' },
      { operatorId: 'op-tok', name: 'Tokenizer' },
    ] as JobVertex['operators'],
    inputs: [],
    outputs: [],
  };
  const deployment = { jobId: 'job-1', jobName: 'word count', vertexId: 'v1', subtaskIndex: 1, attempt: 0, bundleHash: 'x', programArgs: [], inputGates: [], outputPartitions: [] };

  it('appear in the Prometheus endpoint and the heartbeat report with the operator scope labels, and go when the task is released', () => {
    const tmMetrics = new TaskManagerMetrics('tm-1');
    const group = tmMetrics.createTaskMetricGroup(deployment, vertex);
    // The runtime context of the chain's second operator, as the task sets it up.
    const info = { taskName: vertex.name, subtaskIndex: 1, parallelism: 2, maxParallelism: 128, attemptNumber: 0, jobId: 'job-1' };
    const ctx = new StreamingRuntimeContext(info, 'Tokenizer', undefined, new OperatorStateStore('Tokenizer'));
    const mg = ctx.getMetricGroup();
    mg.counter('wordsSeen').inc(42);
    mg.gauge('lastLength', () => 5);
    mg.addGroup('lang', 'en').counter('words').inc(7);
    const hist = mg.histogram('lengths', new DescriptiveStatisticsHistogram(10));
    for (const v of [1, 2, 3, 4]) hist.update(v);
    mg.meter('wordsRate', new MeterView(60));

    const families = parse(formatPrometheus(tmMetrics.collect()));
    const scope = { job_id: 'job-1', job_name: 'word count', task_name: `${vertex.name} (2/2)`, vertex_id: 'v1', subtask_index: '1', tm_id: 'tm-1', operator_name: 'Tokenizer', operator_id: 'op-tok' };
    const seen = families.get('fluss_taskmanager_job_task_operator_wordsSeen')!;
    expect(seen.type).toBe('COUNTER');
    expect(seen.metrics).toEqual([{ value: '42', labels: scope }]);
    expect(families.get('fluss_taskmanager_job_task_operator_lastLength')!.metrics).toEqual([{ value: '5', labels: scope }]);
    expect(families.get('fluss_taskmanager_job_task_operator_lang_words')!.metrics).toEqual([{ value: '7', labels: { ...scope, lang: 'en' } }]);
    expect(families.get('fluss_taskmanager_job_task_operator_lengths_count')!.metrics[0]!.value).toBe('4');
    expect(families.has('fluss_taskmanager_job_task_operator_lengths')).toBe(true);
    expect(families.has('fluss_taskmanager_job_task_operator_wordsRate')).toBe(true);

    // The JobManager re-exposes what the heartbeat carried.
    const report = parseTaskManagerMetricsReport(tmMetrics.reportJson());
    const jmFamilies = parse(formatPrometheus(taskMetricFamilies(report.tasks.map((task) => ({ taskManagerId: 'tm-1', task })))));
    expect(jmFamilies.get('fluss_taskmanager_job_task_operator_wordsSeen')!.metrics).toEqual([{ value: '42', labels: scope }]);

    const id = { jobId: 'job-1', taskName: vertex.name, subtaskIndex: 1, attempt: 0 };
    expect(userMetricGroupsOf(id).size).toBe(1);
    tmMetrics.releaseTaskMetricGroup(group);
    tmMetrics.report();
    expect(userMetricGroupsOf(id).size).toBe(0);
  });

  it('a malformed user metric in a heartbeat report is refused in one line', () => {
    const bad = JSON.stringify({
      taskManagerId: 'tm',
      timestamp: 1,
      tasks: [{
        jobId: 'j', jobName: 'n', vertexId: 'v', taskName: 't', subtaskIndex: 0, attempt: 0, numRecordsIn: 0, numRecordsOut: 0,
        numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, currentInputWatermark: 0, busyTimeMsPerSecond: 0, idleTimeMsPerSecond: 0,
        backPressuredTimeMsPerSecond: 0, closed: false,
        operators: [{ operatorId: 'o', operatorName: 'n', numRecordsIn: 0, numRecordsOut: 0, numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, currentInputWatermark: 0, userMetrics: [{ path: 'x' }] }],
      }],
    });
    expect(() => parseTaskManagerMetricsReport(bad)).toThrow(/userMetrics\[0\]/);
  });
});
