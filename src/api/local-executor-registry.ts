/**
 * How the environment runs a job locally (`execute()` in local mode, `executeAndCollect()`)
 * without knowing the cluster: the package entry (`src/index.ts`) registers the mini-cluster
 * executor here, as Flink's environments find their PipelineExecutor through a service loader.
 * The api layer never imports the cluster.
 */
import type { BuiltJob } from '../common/built-job.js';
import { FailedPreconditionError } from '../core/errors.js';
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
