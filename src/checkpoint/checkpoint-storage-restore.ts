/**
 * Loading a checkpoint or savepoint to start a job from (`fluss run -s <path> [-n]`, failover,
 * JobManager recovery): `_metadata` must exist and parse, fit the job graph, and every state
 * file it names must exist with its recorded size and sha256 checksum — a damaged checkpoint is
 * refused before any task starts, never half-used.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FailedPreconditionError } from '../core/errors.js';
import type { JobGraph } from '../common/job-graph.js';
import { checkRestoreCompatibility, handlePath, parseCheckpointMetadata, stateFilesOf } from './checkpoint-metadata-validation.js';
import { readMetadataText, resolveCheckpointDir } from './checkpoint-storage.js';
import type { CheckpointMetadata, StateFileHandle, TaskRestore } from './checkpoint-types.js';

/** A validated checkpoint or savepoint to restore from. */
export interface RestorePoint {
  restore: TaskRestore;
  metadata: CheckpointMetadata;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function checkFile(fileDir: string, handle: StateFileHandle, where: string): Promise<void> {
  const path = handlePath(fileDir, handle);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new FailedPreconditionError(`Checkpoint/savepoint ${where} is incomplete: state file ${handle.path} is missing`);
  }
  if (size !== handle.size) {
    throw new FailedPreconditionError(`Checkpoint/savepoint ${where} is damaged: state file ${handle.path} has ${size} bytes, _metadata says ${handle.size}`);
  }
  if ((await sha256OfFile(path)) !== handle.checksum) {
    throw new FailedPreconditionError(`Checkpoint/savepoint ${where} is damaged: the checksum of state file ${handle.path} does not match`);
  }
}

/** Reads `_metadata` of `path` and checks it (without looking at the job). */
async function readCheckpoint(path: string): Promise<{ dir: string; metadata: CheckpointMetadata }> {
  const dir = await resolveCheckpointDir(path);
  const metadata = parseCheckpointMetadata(await readMetadataText(dir), dir);
  return { dir, metadata };
}

/**
 * Validates `path` for `jobGraph` and returns what each deployment restores from.
 * NotFoundError / InvalidArgumentError / FailedPreconditionError with one clear line otherwise.
 */
export async function loadRestorePoint(path: string, jobGraph: JobGraph, allowNonRestoredState: boolean): Promise<RestorePoint> {
  const { dir, metadata } = await readCheckpoint(path);
  checkRestoreCompatibility(metadata, jobGraph, allowNonRestoredState, dir);
  for (const file of stateFilesOf(metadata, dir)) await checkFile(file.dir, file.handle, dir);
  return { restore: { checkpointDir: dir, checkpointId: metadata.checkpointId, allowNonRestoredState }, metadata };
}
