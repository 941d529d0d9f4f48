/**
 * The job state machine, with Flink's states. Pure: the JobMaster asks it whether a transition
 * is legal and which state a job settles in once all of its tasks are terminal.
 *
 *   CREATED ─▶ RUNNING ─▶ FINISHED
 *                 │ ├──▶ FAILING ──▶ FAILED
 *                 │ └──▶ RESTARTING ──▶ RUNNING (attempt + 1)
 *                 └────▶ CANCELLING ─▶ CANCELED
 */
import { FailedPreconditionError } from '../../core/errors.js';
import type { JobStatus } from '../../runtime/task-deployment.js';

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  CREATED: ['RUNNING', 'CANCELLING', 'SUSPENDED'],
  RUNNING: ['FINISHED', 'FAILING', 'RESTARTING', 'CANCELLING', 'SUSPENDED'],
  FAILING: ['FAILED', 'CANCELLING', 'SUSPENDED'],
  RESTARTING: ['RUNNING', 'CANCELLING', 'SUSPENDED'],
  CANCELLING: ['CANCELED', 'SUSPENDED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
  // The JobManager stopped while the job ran; a recovering JobManager takes it over.
  SUSPENDED: [],
};

/** True when a job may move from `from` to `to`. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Returns `to`, or throws FailedPreconditionError for an illegal transition. */
export function transition(from: JobStatus, to: JobStatus): JobStatus {
  if (!canTransition(from, to)) throw new FailedPreconditionError(`illegal job state transition ${from} -> ${to}`);
  return to;
}

/** True when a job in `status` can still be cancelled. */
export function isCancellable(status: JobStatus): boolean {
  return canTransition(status, 'CANCELLING');
}

/**
 * The state a job settles in once every task is terminal, or undefined when it stays where it
 * is (RESTARTING waits for its restart delay; RUNNING with unfinished tasks is a failure the
 * caller handles).
 */
export function settledStatus(status: JobStatus, allTasksFinished: boolean): JobStatus | undefined {
  switch (status) {
    case 'RUNNING':
      return allTasksFinished ? 'FINISHED' : undefined;
    case 'FAILING':
      return 'FAILED';
    case 'CANCELLING':
      return 'CANCELED';
    default:
      return undefined;
  }
}
