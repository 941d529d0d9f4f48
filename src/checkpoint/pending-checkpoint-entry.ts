/** A checkpoint in flight at the CheckpointCoordinator, with what settles it. */
import type { CompletedCheckpoint } from './completed-checkpoint-store.js';
import type { CheckpointTask, PendingCheckpoint } from './pending-checkpoint.js';

/** A pending checkpoint, its timeout and the promise its trigger returned. */
export interface PendingCheckpointEntry {
  pc: PendingCheckpoint;
  cancelTimeout: () => void;
  finalizing: boolean;
  resolve: (cp: CompletedCheckpoint) => void;
  reject: (err: Error) => void;
  /** The savepoint of a stop-with-savepoint: every source ends after it. */
  stop: boolean;
  /** The `_metadata` write of a finalizing checkpoint. */
  metadataWrite?: Promise<void>;
}

/** True when both lists name the same subtask attempts in the same order. */
export function sameTasks(a: readonly CheckpointTask[], b: readonly CheckpointTask[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((t, i) => t.vertexId === b[i]!.vertexId && t.subtaskIndex === b[i]!.subtaskIndex && t.attempt === b[i]!.attempt);
}
