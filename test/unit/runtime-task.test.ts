import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config.js';
import { UserCodeError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { SequenceSource } from '../../src/connectors/sequence-source.js';
import type { PartitionerKind } from '../../src/common/job-graph.js';
import { assignKeyToParallelOperator } from '../../src/state/key-groups.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId } from '../../src/network/shuffle-types.js';
import { Task } from '../../src/runtime/task.js';
import type { ExecutionState, TaskDeploymentDescriptor } from '../../src/runtime/task-deployment.js';
import { builtJob, linear, op, vertex, type TestOperator } from './runtime-test-jobs.js';

const config = validateConfig({});
let network: NetworkEnvironment | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

interface Run {
  states: Map<string, ExecutionState[]>;
  errors: Map<string, Error>;
  tasks: Task[];
  done: Promise<void>;
}

/**
 * Deploys producer → consumer vertices over one edge of `partitioner` on one
 * NetworkEnvironment. Like the builder on a TaskManager, the factories run once per subtask,
 * so every subtask gets its own function instances.
 */
function deploy(
  producerOps: () => TestOperator[],
  pp: number,
  consumerOps: () => TestOperator[],
  cp: number,
  partitioner: PartitionerKind,
  key?: (v: never) => unknown,
): Run {
  const build = () => {
    const p = producerOps();
    const c = consumerOps();
    [...p, ...c].forEach((o, i) => (o.descriptor.nodeId = i + 1));
    return { p, c };
  };
  const { p: producer, c: consumer } = build();
  network = new NetworkEnvironment({ taskManagerId: 'tm', logger: silentLogger() });
  const jobId = 'ab'.repeat(16);
  const a = vertex('A', linear(producer), pp);
  const b = vertex('B', linear(consumer), cp);
  const edge = { id: 'e1', streamEdgeId: 's1', sourceVertexId: 'A', targetVertexId: 'B', partitioner, sourceOperatorIndex: producer.length - 1, targetOperatorIndex: 0, targetInput: 0 };
  a.outputs.push(edge);
  b.inputs.push(edge);
  producer[producer.length - 1]!.descriptor.networkOutputs.push(0);
  const edgeFns: Record<string, { keySelector?: (v: never) => unknown }> = key ? { s1: { keySelector: key } } : {};
  const jobGraph = builtJob([a, b], [...producer, ...consumer], edgeFns).jobGraph;
  const base = { jobId, jobName: 'test', attempt: 0, bundleHash: 'h', programArgs: [] };
  const deployments: TaskDeploymentDescriptor[] = [];
  for (let i = 0; i < pp; i++) {
    deployments.push({ ...base, vertexId: 'A', subtaskIndex: i, inputGates: [], outputPartitions: [{ partitionId: resultPartitionId(jobId, 'e1', i, 0), numberOfSubpartitions: cp }] });
  }
  for (let j = 0; j < cp; j++) {
    const channels = Array.from({ length: pp }, (_, i) => ({ partitionId: resultPartitionId(jobId, 'e1', i, 0), subpartition: j, producerTaskManagerId: 'tm', producerAddress: 'local' }));
    deployments.push({ ...base, vertexId: 'B', subtaskIndex: j, inputGates: [channels], outputPartitions: [] });
  }
  const states = new Map<string, ExecutionState[]>();
  const errors = new Map<string, Error>();
  const tasks = deployments.map((d) => {
    const name = `${d.vertexId}${d.subtaskIndex}`;
    states.set(name, []);
    const fresh = build();
    const job = { jobGraph, functions: builtJob([a, b], [...fresh.p, ...fresh.c], edgeFns).functions };
    return new Task(d, job, {
      shuffle: network!,
      logger: silentLogger(),
      config,
      onStateChange: (s, err) => {
        states.get(name)!.push(s);
        if (err) errors.set(name, err);
      },
    });
  });
  const done = Promise.all(tasks.map((t) => t.run())).then(() => undefined);
  return { states, errors, tasks, done };
}

describe('Task on the real NetworkEnvironment', () => {
  it('runs source → keyBy → running reduce at parallelism 2 and finishes every subtask', async () => {
    const received: [number, number, number][] = [];
    const sink = { invoke(this: { getRuntimeContext(): { subtaskIndex: number } }, v: [number, number]) { received.push([this.getRuntimeContext().subtaskIndex, v[0], v[1]]); } };
    const run = deploy(
      () => [op('source', 'Source', new SequenceSource(1, 1000)), op('map', 'Pair', (n: number) => [n % 7, n])],
      2,
      () => [op('keyedReduce', 'Sum', (x: [number, number], y: [number, number]) => [x[0], x[1] + y[1]], { key: (p: [number]) => p[0] }), op('sink', 'Sink', { ...sink })],
      2,
      'hash',
      (p: [number]) => p[0],
    );
    await run.done;
    for (const [name, s] of run.states) expect(s, name).toEqual(['INITIALIZING', 'RUNNING', 'FINISHED']);
    expect(received).toHaveLength(1000);
    const finals = new Map<number, number>();
    for (const [subtask, key, sum] of received) {
      expect(subtask).toBe(assignKeyToParallelOperator(key, 128, 2));
      finals.set(key, Math.max(finals.get(key) ?? 0, sum));
    }
    for (let k = 0; k < 7; k++) {
      let expected = 0;
      for (let n = 1; n <= 1000; n++) if (n % 7 === k) expected += n;
      expect(finals.get(k)).toBe(expected);
    }
  });

  it('broadcasts every record to every consumer and rebalances round robin', async () => {
    for (const [kind, expectedTotal] of [['broadcast', 200], ['rebalance', 100]] as const) {
      const got: number[][] = [[], []];
      const run = deploy(
        () => [op('source', 'Source', new SequenceSource(1, 100))],
        1,
        () => [op('sink', 'Sink', { invoke(this: { getRuntimeContext(): { subtaskIndex: number } }, v: number) { got[this.getRuntimeContext().subtaskIndex]!.push(v); } })],
        2,
        kind,
      );
      await run.done;
      expect(got[0]!.length + got[1]!.length).toBe(expectedTotal);
      if (kind === 'rebalance') expect(got[0]!.length).toBe(50);
      else expect(got[0]).toEqual(got[1]);
    }
  });

  it('fails the task with a UserCodeError naming the operator, and its consumers fail too', async () => {
    const run = deploy(
      () => [op('source', 'Source', new SequenceSource(1, 100)), op('map', 'Explode', (n: number) => { if (n === 50) throw new Error('fifty'); return n; })],
      1,
      () => [op('sink', 'Sink', () => undefined)],
      1,
      'forward',
    );
    await run.done;
    expect(run.states.get('A0')).toEqual(['INITIALIZING', 'RUNNING', 'FAILED']);
    const err = run.errors.get('A0');
    expect(err).toBeInstanceOf(UserCodeError);
    expect((err as UserCodeError).operatorName).toBe('Explode');
    expect(run.states.get('B0')!.at(-1)).toBe('FAILED');
  });

  it('cancels an unbounded job: the loop stops and the task reports CANCELED', async () => {
    let count = 0;
    const run = deploy(
      () => [op('source', 'Source', new DataGeneratorSource((i) => i, Infinity))],
      1,
      () => [op('sink', 'Sink', () => void count++)],
      1,
      'forward',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(run.tasks.every((t) => t.executionState === 'RUNNING')).toBe(true);
    expect(count).toBeGreaterThan(0);
    for (const t of run.tasks) t.cancel();
    await run.done;
    expect(run.states.get('A0')!.slice(-2)).toEqual(['CANCELING', 'CANCELED']);
    expect(run.states.get('B0')!.at(-1)).toBe('CANCELED');
  });
});
