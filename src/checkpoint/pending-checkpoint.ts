/**
 * A checkpoint that was triggered but is not complete yet: which subtasks still owe an
 * acknowledgement, and what the ones that answered reported. Pure bookkeeping, no I/O; the
 * CheckpointCoordinator turns a fully acknowledged one into `_metadata`.
 */
import type { SubtaskAttempt } from '../common/subtask-attempt.js';
import type { JobGraph } from '../common/job-graph.js';
import type { CheckpointMetadata, OperatorCheckpointState, OperatorSubtaskState, TaskCheckpointAck } from './checkpoint-types.js';

/** One subtask attempt a checkpoint waits for. */
export type CheckpointTask = SubtaskAttempt;

/** Outcome of {@link PendingCheckpoint.acknowledge}. */
export type AcknowledgeResult = 'SUCCESS' | 'DUPLICATE' | 'UNKNOWN' | 'DISCARDED';

/** Why a checkpoint was aborted; Flink's CheckpointFailureReason names. */
export type CheckpointFailureReason =
  | 'CHECKPOINT_EXPIRED'
  | 'CHECKPOINT_DECLINED'
  | 'CHECKPOINT_SUBSUMED'
  | 'CHECKPOINT_COORDINATOR_SHUTDOWN'
  | 'TASK_FAILURE'
  | 'IO_EXCEPTION'
  | 'TRIGGER_FAILURE';

/** The key of a subtask in a checkpoint's bookkeeping. */
function taskKey(vertexId: string, subtaskIndex: number): string {
  return `${vertexId}/${subtaskIndex}`;
}

/** A triggered checkpoint collecting acknowledgements. */
export class PendingCheckpoint {
  private readonly notYetAcknowledged = new Map<string, CheckpointTask>();
  private readonly acks = new Map<string, TaskCheckpointAck>();
  private discarded = false;

  constructor(
    readonly checkpointId: number,
    readonly timestamp: number,
    readonly savepoint: boolean,
    /** Absolute directory the tasks write into and `_metadata` goes to. */
    readonly targetDir: string,
    tasksToWaitFor: readonly CheckpointTask[],
  ) {
    for (const t of tasksToWaitFor) this.notYetAcknowledged.set(taskKey(t.vertexId, t.subtaskIndex), t);
  }

  /** True once every subtask acknowledged. */
  get isFullyAcknowledged(): boolean {
    return this.notYetAcknowledged.size === 0 && !this.discarded;
  }

  /** True when `task` (with this attempt) is one this checkpoint waits or waited for. */
  involves(vertexId: string, subtaskIndex: number, attempt: number): boolean {
    const key = taskKey(vertexId, subtaskIndex);
    const t = this.notYetAcknowledged.get(key) ?? this.acks.get(key);
    return t !== undefined && t.attempt === attempt;
  }

  /** Records a subtask's acknowledgement. An ack of another attempt is UNKNOWN. */
  acknowledge(ack: TaskCheckpointAck): AcknowledgeResult {
    if (this.discarded) return 'DISCARDED';
    const key = taskKey(ack.vertexId, ack.subtaskIndex);
    const waiting = this.notYetAcknowledged.get(key);
    if (!waiting) return this.acks.get(key)?.attempt === ack.attempt ? 'DUPLICATE' : 'UNKNOWN';
    if (waiting.attempt !== ack.attempt) return 'UNKNOWN';
    this.notYetAcknowledged.delete(key);
    this.acks.set(key, ack);
    return 'SUCCESS';
  }

  /** True when the subtask's acknowledgement says its input ended (a source awaiting its final checkpoint). */
  acknowledgedAtEndOfInput(vertexId: string, subtaskIndex: number): boolean {
    return this.acks.get(taskKey(vertexId, subtaskIndex))?.endOfInput === true;
  }

  /** Marks the checkpoint as done with (completed or aborted); later acks are DISCARDED. */
  discard(): void {
    this.discarded = true;
  }

  /**
   * The `_metadata` of the fully acknowledged checkpoint: every operator of the job, in graph
   * order, with the state its subtasks reported.
   */
  toMetadata(jobId: string, jobGraph: JobGraph): CheckpointMetadata {
    const byOperator = new Map<string, OperatorSubtaskState[]>();
    for (const ack of this.acks.values()) {
      for (const s of ack.operators) {
        let list = byOperator.get(s.operatorId);
        if (!list) byOperator.set(s.operatorId, (list = []));
        list.push(s);
      }
    }
    const operators: OperatorCheckpointState[] = [];
    for (const v of jobGraph.vertices) {
      for (const op of v.operators) {
        const subtasks = (byOperator.get(op.operatorId) ?? []).sort((a, b) => a.subtaskIndex - b.subtaskIndex);
        operators.push({ operatorId: op.operatorId, name: op.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, subtasks });
      }
    }
    return { version: 1, jobId, checkpointId: this.checkpointId, timestamp: this.timestamp, savepoint: this.savepoint, operators };
  }
}
