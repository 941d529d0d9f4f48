/**
 * Runs a two-vertex job (sources → hash edge → consumers) as real Tasks on one real
 * NetworkEnvironment, collecting checkpoint acks and declines, and writes `_metadata` from the
 * acks the way the coordinator does, so tests can drive checkpoints and restores task-side.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { CheckpointMetadata, CheckpointRequest, TaskCheckpointAck, TaskRestore } from '../../src/checkpoint/checkpoint-types.js';
import { validateConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import type { JobGraph } from '../../src/common/job-graph.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId } from '../../src/network/shuffle-types.js';
import type { KeyedStateBackendFactory } from '../../src/state/keyed-state-backend-factory.js';
import { Task } from '../../src/runtime/task.js';
import type { TaskMetricsSink } from '../../src/runtime/task-metrics.js';
import type { TaskLocalStateStore } from '../../src/checkpoint/task-local-state-store.js';
import type { ExecutionState, TaskDeploymentDescriptor } from '../../src/runtime/task-deployment.js';
import { builtJob, linear, vertex, type TestOperator } from './runtime-test-jobs.js';

export const JOB_ID = 'cd'.repeat(16);

/** One run of the job. */
export interface JobRun {
  jobGraph: JobGraph;
  tasks: Task[];
  states: Map<string, ExecutionState[]>;
  errors: Map<string, Error>;
  acks: TaskCheckpointAck[];
  declines: { checkpointId: number; reason: string }[];
  done: Promise<void>;
  network: NetworkEnvironment;
  sources: Task[];
}

/** Options of {@link runJob}. */
export interface JobOptions {
  producer: () => TestOperator[];
  producerParallelism: number;
  consumer: () => TestOperator[];
  consumerParallelism: number;
  key: (v: never) => unknown;
  attempt?: number;
  restore?: TaskRestore;
  backend?: KeyedStateBackendFactory;
  /** Task-local state of each subtask (task-local recovery on). */
  localState?: (vertexId: string, subtaskIndex: number) => TaskLocalStateStore;
  /** Metrics of each subtask. */
  metrics?: (vertexId: string, subtaskIndex: number) => TaskMetricsSink;
}

/** Operator ids that stay the same across runs (as the graph generator's hashes do). */
function build(o: JobOptions): { p: TestOperator[]; c: TestOperator[] } {
  const p = o.producer();
  const c = o.consumer();
  [...p, ...c].forEach((x, i) => {
    x.descriptor.nodeId = i + 1;
    x.descriptor.operatorId = (i + 1).toString(16).padStart(32, '0');
  });
  return { p, c };
}

/** Deploys and starts every subtask. */
export function runJob(o: JobOptions): JobRun {
  const pp = o.producerParallelism;
  const cp = o.consumerParallelism;
  const attempt = o.attempt ?? 0;
  const { p: producer, c: consumer } = build(o);
  const network = new NetworkEnvironment({ taskManagerId: 'tm', logger: silentLogger() });
  const a = vertex('A', linear(producer), pp);
  const b = vertex('B', linear(consumer), cp);
  const edge = { id: 'e1', streamEdgeId: 's1', sourceVertexId: 'A', targetVertexId: 'B', partitioner: 'hash' as const, sourceOperatorIndex: producer.length - 1, targetOperatorIndex: 0, targetInput: 0 };
  a.outputs.push(edge);
  b.inputs.push(edge);
  producer[producer.length - 1]!.descriptor.networkOutputs.push(0);
  const edgeFns = { s1: { keySelector: o.key } };
  const jobGraph = builtJob([a, b], [...producer, ...consumer], edgeFns).jobGraph;
  const base = { jobId: JOB_ID, jobName: 'test', attempt, bundleHash: 'h', programArgs: [], restore: o.restore };
  const deployments: TaskDeploymentDescriptor[] = [];
  for (let i = 0; i < pp; i++) {
    deployments.push({ ...base, vertexId: 'A', subtaskIndex: i, inputGates: [], outputPartitions: [{ partitionId: resultPartitionId(JOB_ID, 'e1', i, attempt), numberOfSubpartitions: cp }] });
  }
  for (let j = 0; j < cp; j++) {
    const channels = Array.from({ length: pp }, (_, i) => ({ partitionId: resultPartitionId(JOB_ID, 'e1', i, attempt), subpartition: j, producerTaskManagerId: 'tm', producerAddress: 'local' }));
    deployments.push({ ...base, vertexId: 'B', subtaskIndex: j, inputGates: [channels], outputPartitions: [] });
  }
  const run: JobRun = { jobGraph, tasks: [], states: new Map(), errors: new Map(), acks: [], declines: [], done: Promise.resolve(), network, sources: [] };
  const config = validateConfig({});
  run.tasks = deployments.map((d) => {
    const name = `${d.vertexId}${d.subtaskIndex}`;
    run.states.set(name, []);
    const fresh = build(o);
    const job = { jobGraph, functions: builtJob([a, b], [...fresh.p, ...fresh.c], edgeFns).functions };
    return new Task(d, job, {
      shuffle: network,
      logger: silentLogger(),
      config,
      keyedStateBackendFactory: o.backend,
      localState: o.localState?.(d.vertexId, d.subtaskIndex),
      metrics: o.metrics?.(d.vertexId, d.subtaskIndex),
      checkpointResponder: {
        acknowledge: (ack) => run.acks.push(ack),
        decline: (checkpointId, reason) => run.declines.push({ checkpointId, reason }),
      },
      onStateChange: (s, err) => {
        run.states.get(name)!.push(s);
        if (err) run.errors.set(name, err);
        // As the JobMaster does: one failed task takes the others down.
        if (s === 'FAILED') queueMicrotask(() => run.tasks.forEach((t) => t.cancel()));
      },
    });
  });
  run.sources = run.tasks.slice(0, pp);
  run.done = Promise.all(run.tasks.map((t) => t.run())).then(() => undefined);
  return run;
}

/** Resolves once `cond()` holds (polling), or rejects after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Triggers checkpoint `id` at every source and waits for every task's ack. */
export async function checkpoint(run: JobRun, id: number, dir: string, aligned = true): Promise<TaskCheckpointAck[]> {
  // As the CheckpointCoordinator does before it triggers: tasks never create the directory.
  await mkdir(dir, { recursive: true });
  const request: CheckpointRequest = { checkpointId: id, timestamp: Date.now(), savepoint: false, aligned, targetDir: dir };
  for (const t of run.sources) t.triggerCheckpoint(request);
  await until(() => run.acks.filter((a) => a.checkpointId === id).length === run.tasks.length || run.declines.length > 0, 10_000, `acks of checkpoint ${id}`);
  if (run.declines.length > 0) throw new Error(`declined: ${run.declines.map((d) => d.reason).join('; ')}`);
  return run.acks.filter((a) => a.checkpointId === id);
}

/** Writes `_metadata` of checkpoint `id` from the acks, as the coordinator does. */
export async function writeMetadata(run: JobRun, id: number, dir: string, acks: TaskCheckpointAck[]): Promise<CheckpointMetadata> {
  const operators = new Map<string, CheckpointMetadata['operators'][number]>();
  for (const v of run.jobGraph.vertices) {
    for (const o of v.operators) operators.set(o.operatorId, { operatorId: o.operatorId, name: o.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, subtasks: [] });
  }
  for (const ack of acks) for (const s of ack.operators) operators.get(s.operatorId)!.subtasks.push(s);
  const metadata: CheckpointMetadata = { version: 1, jobId: JOB_ID, checkpointId: id, timestamp: Date.now(), savepoint: false, operators: [...operators.values()] };
  await writeFile(join(dir, '_metadata'), JSON.stringify(metadata));
  return metadata;
}

/**
 * Clean-up for a test file's job runs and temp directories: after each test every run pushed to
 * `runs` is cancelled and its network closed, and every directory made by `tmp` is removed.
 */
export function cleanUpAfterEach(): { runs: JobRun[]; tmp: (prefix: string) => Promise<string> } {
  const runs: JobRun[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const r of runs.splice(0)) {
      for (const t of r.tasks) t.cancel();
      await r.done;
      await r.network.close();
    }
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const tmp = async (prefix: string): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  return { runs, tmp };
}
