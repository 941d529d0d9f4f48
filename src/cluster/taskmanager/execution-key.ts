/**
 * The identity of one subtask execution on a TaskManager: job, vertex, subtask index, attempt.
 */
import type { JobSubtaskAttempt } from '../../common/subtask-attempt.js';

/** `jobId/vertexId/subtask/attempt`. */
export type ExecutionKey = string;

/** The key of one execution attempt of one subtask. */
export function executionKey(id: JobSubtaskAttempt): ExecutionKey {
  return `${id.jobId}/${id.vertexId}/${id.subtaskIndex}/${id.attempt}`;
}
