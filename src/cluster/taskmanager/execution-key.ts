/**
 * The identity of one subtask execution on a TaskManager: job, vertex, subtask index, attempt.
 */

/** `jobId/vertexId/subtask/attempt`. */
export type ExecutionKey = string;

/** The key of one execution attempt of one subtask. */
export function executionKey(id: { jobId: string; vertexId: string; subtaskIndex: number; attempt: number }): ExecutionKey {
  return `${id.jobId}/${id.vertexId}/${id.subtaskIndex}/${id.attempt}`;
}
