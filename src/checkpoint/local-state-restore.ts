/**
 * Restoring a subtask from its task-local copy (Flink's local recovery): used only when the
 * TaskManager holds the confirmed copy of exactly the checkpoint being restored, the operator's
 * parallelism did not change, the copy names the same files (path, size, sha256) the
 * checkpoint's `_metadata` names for this subtask, and every local file has that size and
 * checksum (each file hashed once: native LevelDB files before the copy is chosen, canonical
 * files as they are read). Anything else — no copy, another checkpoint's, a missing, short or altered file, a
 * failed read — restores from the checkpoint directory instead, and the unusable copy is
 * dropped. The local attempt builds nothing the task keeps before it succeeded as a whole, so a
 * restore is never half local.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobGraph, JobVertex } from '../common/job-graph.js';
import { describeError } from '../core/errors.js';
import type { OperatorSubtaskState, StateFileHandle, TaskRestore } from './checkpoint-types.js';
import { parseCheckpointMetadata } from './checkpoint-metadata-validation.js';
import { readMetadataText } from './checkpoint-storage.js';
import { loadTaskStateAssignment, type TaskStateAssignment } from './task-state-assignment.js';
import { isNativeKeyedStateFile } from './native-keyed-state-file.js';
import { LocalStateUnusableError, type LocalSubtaskState, type TaskLocalStateStore } from './task-local-state-store.js';

/** What a restore read, and from where. */
export interface RestoreOutcome {
  assignment: TaskStateAssignment;
  /** True: the subtask's own files came from the local copy. */
  local: boolean;
  /** Why the local copy was not used (absent when it was, or local recovery is off). */
  fallbackReason?: string;
}

/** The files of one operator subtask state, keyed state first. */
function handlesOf(s: OperatorSubtaskState | undefined): StateFileHandle[] {
  if (!s) return [];
  const keyed = s.keyed ? (s.keyed.chain ?? [s.keyed.file]) : [];
  return s.operatorState ? [...keyed, s.operatorState] : keyed;
}

function sameHandle(a: StateFileHandle, b: StateFileHandle): boolean {
  return a.path === b.path && a.size === b.size && a.checksum === b.checksum;
}

/** Checks that `dir/handle.path` exists with the handle's size. */
async function checkSize(dir: string, handle: StateFileHandle): Promise<void> {
  let size: number;
  try {
    size = (await stat(join(dir, handle.path))).size;
  } catch (cause) {
    throw new LocalStateUnusableError(`local file ${handle.path} is missing`, { cause });
  }
  if (size !== handle.size) throw new LocalStateUnusableError(`local file ${handle.path} has ${size} bytes, expected ${handle.size}`);
}

/** Checks size and sha256 of `dir/handle.path`. */
async function verifyFile(dir: string, handle: StateFileHandle): Promise<void> {
  await checkSize(dir, handle);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(join(dir, handle.path), { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== handle.checksum) throw new LocalStateUnusableError(`local file ${handle.path} does not match its checksum`);
}

/**
 * True for a native LevelDB keyed state file of `s`: the backend loads it after the restore
 * chose the local copy, too late to fall back, so its checksum is checked before.
 */
async function loadedAfterTheChoice(dir: string, s: OperatorSubtaskState, handle: StateFileHandle): Promise<boolean> {
  if (!s.keyed || handle === s.operatorState) return false;
  if (s.keyed.chain) return true;
  return s.keyed.format ? s.keyed.format === 'leveldb-native' : isNativeKeyedStateFile(dir, handle);
}

/** Throws LocalStateUnusableError unless `local` holds exactly this subtask's files of the checkpoint, intact. */
async function checkLocalCopy(restore: TaskRestore, vertex: JobVertex, subtaskIndex: number, local: LocalSubtaskState): Promise<void> {
  const metadata = parseCheckpointMetadata(await readMetadataText(restore.checkpointDir), restore.checkpointDir);
  if (metadata.checkpointId !== local.checkpointId) {
    throw new LocalStateUnusableError(`the checkpoint directory holds checkpoint ${metadata.checkpointId}, the local state checkpoint ${local.checkpointId}`);
  }
  const byId = new Map(metadata.operators.map((o) => [o.operatorId, o]));
  const localById = new Map(local.operators.map((o) => [o.operatorId, o]));
  for (const d of vertex.operators) {
    const op = byId.get(d.operatorId);
    if (!op) continue;
    if (op.parallelism !== vertex.parallelism) throw new LocalStateUnusableError(`operator ${d.operatorId} was rescaled (${op.parallelism} → ${vertex.parallelism})`);
    const expected = handlesOf(op.subtasks.find((s) => s.subtaskIndex === subtaskIndex));
    const keptState = localById.get(d.operatorId);
    const kept = handlesOf(keptState);
    if (expected.length !== kept.length || expected.some((h, i) => !sameHandle(h, kept[i]!))) {
      throw new LocalStateUnusableError(`the local state of operator ${d.operatorId} does not hold the files the checkpoint names`);
    }
    // Each file is hashed once: native files here (the load then checks sizes only), canonical
    // ones as loadTaskStateAssignment reads them, which fails before the task keeps anything.
    for (const h of kept) {
      if (await loadedAfterTheChoice(local.dir, keptState!, h)) await verifyFile(local.dir, h);
      else await checkSize(local.dir, h);
    }
  }
}

/**
 * Loads what the subtask restores from `restore`, from its local copy in `store` when that is
 * usable (see the module comment), otherwise from the checkpoint directory.
 */
export async function loadTaskStateAssignmentPreferLocal(
  restore: TaskRestore,
  jobGraph: JobGraph,
  vertex: JobVertex,
  subtaskIndex: number,
  store: TaskLocalStateStore | undefined,
): Promise<RestoreOutcome> {
  if (!store) return { assignment: await loadTaskStateAssignment(restore, jobGraph, vertex, subtaskIndex), local: false };
  let fallbackReason: string;
  try {
    const local = await store.retrieve(restore.checkpointId);
    await checkLocalCopy(restore, vertex, subtaskIndex, local);
    const assignment = await loadTaskStateAssignment(restore, jobGraph, vertex, subtaskIndex, { dir: local.dir, nativeChecksummed: true });
    return { assignment, local: true };
  } catch (err) {
    fallbackReason = describeError(err);
    // A copy found unusable is not tried again.
    store.invalidate(restore.checkpointId);
  }
  return { assignment: await loadTaskStateAssignment(restore, jobGraph, vertex, subtaskIndex), local: false, fallbackReason };
}
