/**
 * Savepoint operations the Dispatcher offers beyond one job: validating the checkpoint or
 * savepoint a submission starts from, and disposing of a savepoint. Paths from clients are kept
 * inside `state.savepoints.dir` / `state.checkpoints.dir` (when configured), so a request
 * cannot make the JobManager read or delete elsewhere.
 */
import { disposeSavepoint } from '../../checkpoint/checkpoint-storage.js';
import { loadRestorePoint } from '../../checkpoint/checkpoint-storage-restore.js';
import type { TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { FlussConfig } from '../../core/config.js';
import { resolveInsideRoots } from '../../core/paths.js';
import type { JobGraph } from '../../common/job-graph.js';

function roots(config: FlussConfig): (string | undefined)[] {
  return [config['state.savepoints.dir'], config['state.checkpoints.dir']];
}

/**
 * Checks the checkpoint or savepoint at `path` for `jobGraph` (complete `_metadata`, intact
 * state files, unchanged max parallelism, no unmapped state unless allowed) and returns what
 * the job's deployments restore from.
 */
export async function restorePointForSubmission(path: string, jobGraph: JobGraph, allowNonRestoredState: boolean, config: FlussConfig): Promise<TaskRestore> {
  const resolved = resolveInsideRoots(path, roots(config), 'restore path');
  return (await loadRestorePoint(resolved, jobGraph, allowNonRestoredState)).restore;
}

/** Deletes the savepoint at `path`; refuses a directory without `_metadata`. */
export function disposeSavepointInRoots(path: string, config: FlussConfig): Promise<string> {
  return disposeSavepoint(resolveInsideRoots(path, roots(config), 'savepoint path'));
}
