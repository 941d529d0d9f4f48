/**
 * Tells subtasks that a checkpoint completed. A lost notification of an ordinary checkpoint is
 * made good by the next one (sinks commit everything pending up to it); a final one has no
 * successor and the task waits for it to finish, so its delivery is retried, with backoff, for
 * as long as that attempt of the task is still the job's (a failover ends the retries).
 */
import { describeError } from '../core/errors.js';
import type { CheckpointCoordinatorListener, CheckpointScheduler, CheckpointTaskGateway } from './checkpoint-coordinator-types.js';
import type { CheckpointTask, PendingCheckpoint } from './pending-checkpoint.js';

/** First wait before a failed notification of a final checkpoint is sent again. */
const FINAL_NOTIFY_FIRST_BACKOFF_MS = 100;
/** Longest wait between two deliveries of a final checkpoint's notification. */
const FINAL_NOTIFY_MAX_BACKOFF_MS = 5_000;

/** Where notifications go, and whether the coordinator still runs. */
export interface CheckpointNotifyContext {
  gateway: CheckpointTaskGateway;
  scheduler: CheckpointScheduler;
  listener: CheckpointCoordinatorListener;
  isShutdown: () => boolean;
}

/** Tells subtask `t` that `checkpointId` completed; a `final` one is retried until delivered. */
export function notifyCheckpointComplete(ctx: CheckpointNotifyContext, t: CheckpointTask, checkpointId: number, final: boolean, retry = 0): void {
  ctx.gateway.notifyCheckpointComplete(t, checkpointId).catch((err: unknown) => {
    const what = `subtask ${t.subtaskIndex} of ${t.vertexId} of completed checkpoint ${checkpointId}: ${describeError(err)}`;
    if (!final) {
      ctx.listener.onWarning?.(`Could not notify ${what}`);
      return;
    }
    const delay = Math.min(FINAL_NOTIFY_MAX_BACKOFF_MS, FINAL_NOTIFY_FIRST_BACKOFF_MS * 2 ** retry);
    ctx.listener.onWarning?.(`Could not notify ${what}; retrying in ${delay} ms`);
    ctx.scheduler.schedule(() => {
      const still = ctx.gateway.runningTasks()?.all.some((x) => x.vertexId === t.vertexId && x.subtaskIndex === t.subtaskIndex && x.attempt === t.attempt);
      if (!ctx.isShutdown() && still) notifyCheckpointComplete(ctx, t, checkpointId, final, retry + 1);
    }, delay);
  });
}

/**
 * Notifies the subtasks of checkpoint `pc` (its `_metadata` is written). A source at the end of
 * its input finishes when notified; it is told only once the checkpoint is final (every source
 * had ended), so later checkpoints still reach the others. Its commits are not lost meanwhile:
 * a later notification subsumes this one. A stop-with-savepoint (`stop`) is final too: every
 * source ends once notified of it.
 */
export function notifyCompletedCheckpoint(ctx: CheckpointNotifyContext, pc: PendingCheckpoint, stop: boolean): void {
  const running = ctx.gateway.runningTasks();
  const final = stop || (running?.sources ?? []).every((s) => pc.acknowledgedAtEndOfInput(s.vertexId, s.subtaskIndex));
  for (const t of running?.all ?? []) {
    if (!pc.involves(t.vertexId, t.subtaskIndex, t.attempt)) continue;
    if (!final && pc.acknowledgedAtEndOfInput(t.vertexId, t.subtaskIndex)) continue;
    notifyCheckpointComplete(ctx, t, pc.checkpointId, final);
  }
}
