/**
 * How the environment runs a job locally (`execute()` in local mode, `executeAndCollect()`)
 * without knowing the cluster: the package entry (`src/index.ts`) registers the mini-cluster
 * executor here, as Flink's environments find their PipelineExecutor through a service loader.
 * The api layer never imports the cluster.
 */
import type { BuiltJob } from '../common/built-job.js';
import { FailedPreconditionError, JobBuildError } from '../core/errors.js';
import type { StreamGraph } from '../graph/stream-graph.js';
import { cloneForSubtask } from '../runtime/clone-for-subtask.js';

/** Options of a {@link LocalJobExecutor} run. */
export interface LocalExecutionOptions {
  jobName?: string;
}

/**
 * Runs a job on a fresh in-process cluster until it ends. `build` returns a fresh copy of the
 * job for every subtask; the promise rejects with the job's failure unless it FINISHED.
 */
export type LocalJobExecutor = (build: () => BuiltJob | Promise<BuiltJob>, options: LocalExecutionOptions) => Promise<void>;

let registered: LocalJobExecutor | undefined;

/** Installs the executor local runs use (the package entry does this on load). */
export function registerLocalExecutor(executor: LocalJobExecutor): void {
  registered = executor;
}

/** The registered executor; fails with one line when the package entry was never loaded. */
export function localExecutor(): LocalJobExecutor {
  if (!registered) {
    throw new FailedPreconditionError('No local executor is registered: import the DataStream API from "fluss" to run jobs locally');
  }
  return registered;
}

/** Runs `job` with the registered executor, every subtask on its own copy of the job's functions. */
export async function runJobLocally(job: BuiltJob): Promise<void> {
  await localExecutor()(() => cloneForSubtask(job), { jobName: job.jobGraph.jobName });
}

/**
 * `executeAndCollect()`'s stream: the most recently created one that feeds nothing yet
 * (usually the last transformation).
 */
export function lastDanglingNode(graph: StreamGraph): number {
  const dangling = graph.nodes.filter((n) => n.kind !== 'sink' && n.outEdges.length === 0);
  const last = dangling[dangling.length - 1];
  if (!last) throw new JobBuildError('executeAndCollect(): every stream already feeds an operator or a sink: call it on a stream');
  return last.id;
}

/**
 * Adds a sink collecting the records of node `nodeId` to `graph`, runs the job `build()`
 * returns locally and resolves with every record, once the job finished.
 */
export async function collectLocally<T>(graph: StreamGraph, nodeId: number, build: () => BuiltJob): Promise<T[]> {
  const results: T[] = [];
  // A plain function: reused by every subtask clone, so all subtasks fill one array.
  const collectSink = (value: T): void => {
    results.push(value);
  };
  graph.addNode({ kind: 'sink', name: 'Collect', userFunction: collectSink }, [nodeId]);
  await runJobLocally(build());
  return results;
}
