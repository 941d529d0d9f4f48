/**
 * A job's own configuration (`env.configure`) — only job-scoped keys, validated like the
 * cluster's — and the backlog (`pendingRecords`) the built-in sources report.
 */
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import type { ReaderOutput, SourceReader } from '../../src/common/source.js';
import { CollectionSource } from '../../src/connectors/collection-source.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { SequenceSource } from '../../src/connectors/sequence-source.js';
import { parseJobConfiguration } from '../../src/core/job-configuration.js';
import { validateJobGraph } from '../../src/cluster/jobmanager/job-graph-validation.js';

describe('job configuration', () => {
  it('parses job-scoped keys with the cluster\'s schema and refuses others with one line', () => {
    expect(parseJobConfiguration({ 'jobmanager.autoscaler.enabled': 'true', 'jobmanager.autoscaler.catch-up.duration': '2 min', 'jobmanager.autoscaler.target.utilization': 0.5 })).toEqual({
      'jobmanager.autoscaler.enabled': true,
      'jobmanager.autoscaler.catch-up.duration': 120_000,
      'jobmanager.autoscaler.target.utilization': 0.5,
    });
    expect(() => parseJobConfiguration({ 'rest.port': 1 })).toThrow(/configuration key rest\.port cannot be set by a job/);
    expect(() => parseJobConfiguration({ 'jobmanager.autoscaler.interval': '1 s' })).toThrow(/cannot be set by a job/);
    expect(() => parseJobConfiguration({ 'jobmanager.autoscaler.enabled': 'maybe' })).toThrow(/invalid value for configuration key jobmanager\.autoscaler\.enabled: "maybe"/);
  });

  it('env.configure records the keys in the job graph; bad ones fail the build, and the JobManager refuses them at submission', () => {
    const env = new StreamExecutionEnvironment({ mode: 'builder' });
    env.configure({ 'jobmanager.autoscaler.enabled': true }).configure({ 'jobmanager.autoscaler.stabilization.interval': '10 s' });
    env.fromElements(1).addSink(() => {});
    const graph = env.toBuiltJob('j').jobGraph;
    expect(graph.settings.configuration).toEqual({ 'jobmanager.autoscaler.enabled': true, 'jobmanager.autoscaler.stabilization.interval': '10 s' });
    expect(() => new StreamExecutionEnvironment().configure({ 'state.checkpoints.dir': '/x' })).toThrow(/cannot be set by a job/);
    const tampered = JSON.parse(JSON.stringify(graph));
    tampered.settings.configuration = { 'jobmanager.autoscaler.enabled': 'perhaps' };
    expect(() => validateJobGraph(tampered)).toThrow(/invalid job graph: invalid value for configuration key jobmanager\.autoscaler\.enabled/);
  });
});

const sink: ReaderOutput<unknown> = { collect: () => {} };
const ctx = (subtaskIndex: number, parallelism: number) => ({ subtaskIndex, parallelism, sourceName: 's' });

describe('pendingRecords of the built-in sources', () => {
  it('a sequence, a collection and a bounded generator report what they have left; an endless generator does not know', () => {
    const seq = new SequenceSource(1, 100).createReader(ctx(0, 2)) as SourceReader<number>;
    expect(seq.pendingRecords!()).toBe(50);
    seq.pollNext(sink, 20);
    expect(seq.pendingRecords!()).toBe(30);
    const coll = new CollectionSource([1, 2, 3]).createReader(ctx(0, 1));
    coll.pollNext(sink, 1);
    expect(coll.pendingRecords!()).toBe(2);
    const gen = new DataGeneratorSource((i) => i, 10).createReader(ctx(1, 3));
    // Subtask 1 of 3 generates 1, 4, 7.
    expect(gen.pendingRecords!()).toBe(3);
    gen.pollNext(sink, 2);
    expect(gen.pendingRecords!()).toBe(1);
    expect(new DataGeneratorSource((i) => i, Infinity).createReader(ctx(0, 1)).pendingRecords!()).toBeUndefined();
  });

  it('a rate-limited generator reports the records due but not emitted yet', async () => {
    const gen = new DataGeneratorSource((i) => i, Infinity, { ratePerSecond: 1000 }).createReader(ctx(0, 1));
    gen.start();
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    // At least 50 ms passed at 1000/s: at least 49 records are due beyond the first.
    const due = gen.pendingRecords!()!;
    expect(due).toBeGreaterThanOrEqual(49);
    expect(due).toBeLessThanOrEqual(Date.now() - before + 1);
    gen.pollNext(sink, 1_000_000);
    expect(gen.pendingRecords!()).toBeLessThan(due);
  });
});
