/**
 * What the JobManager sends a TaskManager to start one subtask (Flink's
 * TaskDeploymentDescriptor). Plain data; travels as JSON inside the SubmitTask RPC.
 */
import type { JobSubtaskAttempt } from '../common/subtask-attempt.js';
import type { TaskRestore } from '../checkpoint/checkpoint-types.js';
import type { InputChannelDescriptor } from '../network/shuffle-types.js';

/** Deployment of one subtask of one vertex. */
export interface TaskDeploymentDescriptor extends JobSubtaskAttempt {
  jobName: string;
  /** Content hash of the job bundle to run the builder from. */
  bundleHash: string;
  /** Arguments passed to the builder after the job file. */
  programArgs: string[];
  /** Per `JobVertex.inputs[i]`: one channel per producer subtask. */
  inputGates: InputChannelDescriptor[][];
  /** Per `JobVertex.outputs[i]`: the partition this subtask produces. */
  outputPartitions: { partitionId: string; numberOfSubpartitions: number }[];
  /** The checkpoint or savepoint to restore state from; absent for a fresh start. */
  restore?: TaskRestore;
}

/** States of one subtask execution, as Flink names them. */
export type ExecutionState =
  | 'CREATED'
  | 'SCHEDULED'
  | 'DEPLOYING'
  | 'INITIALIZING'
  | 'RUNNING'
  | 'FINISHED'
  | 'CANCELING'
  | 'CANCELED'
  | 'FAILED';

/** Terminal execution states. */
export function isTerminalExecutionState(s: ExecutionState): boolean {
  return s === 'FINISHED' || s === 'CANCELED' || s === 'FAILED';
}

/** States of a job, as Flink names them. */
export type JobStatus = 'CREATED' | 'RUNNING' | 'FAILING' | 'FAILED' | 'CANCELLING' | 'CANCELED' | 'FINISHED' | 'RESTARTING' | 'SUSPENDED';

/** Terminal job states (globally terminal: nothing restarts them). */
export function isTerminalJobStatus(s: JobStatus): boolean {
  return s === 'FAILED' || s === 'CANCELED' || s === 'FINISHED';
}
