/**
 * A subtask's identity: one execution attempt of one parallel subtask of a job vertex (Flink's
 * ExecutionAttemptID). Checkpoint acknowledgements and declines, deployments, metrics and task
 * state updates carry it as one value instead of loose fields.
 */

/** One execution attempt of subtask `subtaskIndex` of vertex `vertexId`, within a job known from context. */
export interface SubtaskAttempt {
  vertexId: string;
  subtaskIndex: number;
  /** The execution attempt (0 first, +1 per redeployment of the subtask). */
  attempt: number;
}

/** A {@link SubtaskAttempt} together with the job it belongs to. */
export interface JobSubtaskAttempt extends SubtaskAttempt {
  jobId: string;
}
