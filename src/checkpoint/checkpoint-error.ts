/**
 * How a checkpoint fails: {@link CheckpointError} with Flink's failure reason, the reasons'
 * default messages, and the consecutive failures that count towards
 * `execution.checkpointing.tolerable-failed-checkpoints` (Flink's CheckpointFailureManager).
 */
import { brandErrorClass, FlussError } from '../core/errors.js';
import type { CheckpointFailureReason } from './pending-checkpoint.js';

/** A checkpoint or savepoint that did not complete. */
export class CheckpointError extends FlussError {
  static {
    brandErrorClass(this, 'CheckpointError');
  }

  constructor(
    readonly reason: CheckpointFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason === 'TRIGGER_FAILURE' ? 'FAILED_PRECONDITION' : 'INTERNAL', message, options);
  }
}

/** The default message of each failure reason (Flink's CheckpointFailureReason messages). */
export const FAILURE_MESSAGES: Record<CheckpointFailureReason, string> = {
  CHECKPOINT_EXPIRED: 'Checkpoint expired before completing.',
  CHECKPOINT_DECLINED: 'Checkpoint was declined.',
  CHECKPOINT_SUBSUMED: 'Checkpoint has been subsumed.',
  CHECKPOINT_COORDINATOR_SHUTDOWN: 'CheckpointCoordinator shutdown.',
  TASK_FAILURE: 'Task failure.',
  IO_EXCEPTION: 'An Exception occurred while triggering or completing the checkpoint.',
  TRIGGER_FAILURE: 'Checkpoint triggering failed.',
};

/** Reasons that count towards the tolerable failed checkpoints (Flink's CheckpointFailureManager). */
const COUNTED: ReadonlySet<CheckpointFailureReason> = new Set(['CHECKPOINT_EXPIRED', 'CHECKPOINT_DECLINED', 'IO_EXCEPTION', 'TRIGGER_FAILURE']);

/** Counts consecutive failed checkpoints; past the tolerable number the job fails over. */
export class CheckpointFailureCounter {
  private consecutive = 0;

  /** `onExceeded` hears the failover cause once the tolerable number is exceeded. */
  constructor(
    private readonly tolerableFailures: number,
    private readonly onExceeded: (cause: string) => void,
  ) {}

  /** Consecutive counted failures since the last completed checkpoint. */
  get count(): number {
    return this.consecutive;
  }

  /** A checkpoint completed: the count starts over. */
  reset(): void {
    this.consecutive = 0;
  }

  /** A checkpoint (never a savepoint) failed for `reason`. */
  failed(reason: CheckpointFailureReason, message: string): void {
    if (!COUNTED.has(reason)) return;
    this.consecutive++;
    if (this.consecutive > this.tolerableFailures) {
      this.consecutive = 0;
      this.onExceeded(`Exceeded checkpoint tolerable failure threshold. The latest checkpoint failed due to: ${message}`);
    }
  }
}
