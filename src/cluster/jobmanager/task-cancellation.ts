/**
 * Cancelling a job's tasks: undeployed ones are canceled at once, deployed ones through their
 * TaskManager; a TaskManager that never confirms (or cannot be reached) does not keep the job
 * from settling forever: its task counts as canceled after `heartbeat.timeout`.
 */
import { describeError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ExecutionVertex } from './execution-graph.js';
import type { ResourceManager } from './resource-manager.js';

/** What cancelling a job's tasks needs from its JobMaster. */
export interface TaskCancellationContext {
  jobId: string;
  resourceManager: ResourceManager;
  log: Logger;
  /** How long a deployed task may take to confirm its cancel (`heartbeat.timeout`). */
  confirmTimeoutMs: number;
  /** Runs `fn` after `ms` unless the job's timers are cleared first. */
  addTimer: (fn: () => void, ms: number) => void;
  /** A task was counted as canceled: the job may have settled. */
  checkSettled: () => void;
}

/** Asks the TaskManager to cancel one task attempt; `onError` hears when it cannot (default: logged). */
export function sendCancel(
  ctx: TaskCancellationContext,
  taskManagerId: string,
  vertexId: string,
  subtaskIndex: number,
  attempt: number,
  onError?: (err: unknown) => void,
): void {
  const tm = ctx.resourceManager.taskManager(taskManagerId);
  if (!tm) {
    onError?.(new NotFoundError(`TaskManager ${taskManagerId} is not registered`));
    return;
  }
  tm.client.cancelTask(ctx.jobId, vertexId, subtaskIndex, attempt).catch((err: unknown) => {
    if (onError) onError(err);
    else ctx.log.debug({ vertex: vertexId, subtask: subtaskIndex, attempt }, `cancel of a stale task failed: ${describeError(err)}`);
  });
}

/**
 * Cancels every unfinished execution: undeployed ones at once, deployed ones via their
 * TaskManager. `stillCurrent` says whether the scheduling round that asked is still the job's.
 */
export function cancelExecutions(ctx: TaskCancellationContext, executions: readonly ExecutionVertex[], stillCurrent: () => boolean): void {
  for (const e of executions) {
    if (e.isTerminal) continue;
    if (!e.isDeployed) {
      e.state = 'CANCELED';
      continue;
    }
    if (e.state === 'CANCELING') continue;
    e.state = 'CANCELING';
    const location = e.location!;
    const attempt = e.attempt;
    const settleAsCanceled = (why: string): void => {
      if (e.attempt !== attempt || e.state !== 'CANCELING') return;
      ctx.log.warn({ vertex: e.vertexId, subtask: e.subtaskIndex, attempt }, `${e.taskName} counted as canceled: ${why}`);
      e.state = 'CANCELED';
      ctx.checkSettled();
    };
    sendCancel(ctx, location.taskManagerId, e.vertexId, e.subtaskIndex, attempt, (err) => settleAsCanceled(describeError(err)));
    ctx.addTimer(() => {
      if (stillCurrent()) settleAsCanceled('no confirmation from its TaskManager within heartbeat.timeout');
    }, ctx.confirmTimeoutMs);
  }
}
