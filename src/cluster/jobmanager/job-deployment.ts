/**
 * Deploys every subtask of a job to the slot it was assigned: builds each task's deployment
 * (with the state to restore, if any) and submits it to its TaskManager. A deployment that
 * cannot reach its TaskManager is reported to the caller, which fails the job over. Also the
 * attempt bookkeeping around a deployment (recorded in the HA store, above a previous JobManager's).
 */
import { describeError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { RunningTask } from '../rpc/messages.js';
import type { ExecutionGraph, ExecutionVertex } from './execution-graph.js';
import type { ResourceManager } from './resource-manager.js';
import { buildTaskDeployment, type DeploymentContext } from './task-deployment-builder.js';

/** What {@link deployExecutions} deploys and where it reports failures. */
export interface JobDeployment {
  jobId: string;
  jobGraph: JobGraph;
  bundleHash: string;
  programArgs: string[];
  graph: ExecutionGraph;
  resourceManager: ResourceManager;
  /** The state every task restores (absent: a fresh start). */
  restore: TaskRestore | undefined;
  /** Attempt `attempt` of `execution` could not be deployed. */
  onDeployFailed: (execution: ExecutionVertex, attempt: number, err: unknown) => void;
}

/** Submits every execution of the graph to the TaskManager of its location (set by the caller). */
export function deployExecutions(d: JobDeployment): void {
  const ctx: DeploymentContext = {
    jobId: d.jobId,
    jobGraph: d.jobGraph,
    bundleHash: d.bundleHash,
    programArgs: d.programArgs,
    attemptOf: (vertexId, i) => d.graph.get(vertexId, i)!.attempt,
    locationOf: (vertexId, i) => d.graph.get(vertexId, i)!.location!,
  };
  for (const e of d.graph.executions) {
    const deployment = buildTaskDeployment(ctx, e.jobVertex, e.subtaskIndex);
    if (d.restore) deployment.restore = d.restore;
    const location = e.location!;
    const tm = d.resourceManager.taskManager(location.taskManagerId);
    const attempt = e.attempt;
    if (!tm) {
      d.onDeployFailed(e, attempt, new NotFoundError(`TaskManager ${location.taskManagerId} is not registered`));
      continue;
    }
    tm.client.submitTask(deployment, d.jobGraph).catch((err: unknown) => d.onDeployFailed(e, attempt, err));
  }
}

/**
 * Records the highest attempt about to be deployed with `recordAttempt` (the HA store keeps it,
 * so a later JobManager deploys above it); a failure to record is logged, never thrown.
 */
export async function recordHighestAttempt(graph: ExecutionGraph, recordAttempt: (attempt: number) => Promise<void>, log: Logger): Promise<void> {
  const highest = Math.max(0, ...graph.executions.map((e) => e.attempt));
  try {
    await recordAttempt(highest);
  } catch (err) {
    log.warn({ attempt: highest, err: describeError(err) }, 'could not record the attempt in the HA store');
  }
}

/** Tasks of the job still run from a previous JobManager: new attempts of those subtasks start above theirs. */
export function skipAttempts(graph: ExecutionGraph, jobId: string, runningTasks: readonly RunningTask[]): void {
  for (const t of runningTasks) {
    const e = t.jobId === jobId ? graph.get(t.vertexId, t.subtaskIndex) : undefined;
    if (e && !e.isDeployed && !e.isTerminal && e.attempt <= t.attempt) e.attempt = t.attempt + 1;
  }
}
