/**
 * What one subtask restores from a checkpoint or savepoint (Flink's StateAssignmentOperation,
 * done by the task itself from `_metadata`): per operator id, the keyed entries of every old
 * subtask whose key-group range intersects the new subtask's range (filtered to its key
 * groups: rescaling), operator list state redistributed round-robin over the new parallelism,
 * union list state whole, broadcast state from one subtask's copy. Native LevelDB files are
 * only verified (size, checksum, header) here and streamed into the backend when it opens. State of operators the job
 * no longer has is refused unless `allowNonRestoredState`; operators missing from the
 * checkpoint start empty.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobGraph, JobVertex } from '../graph/job-graph.js';
import { keyGroupRangeForOperator, type KeyGroupRange } from '../graph/key-groups.js';
import type { KeyedStateEntry } from '../state/keyed-state-backend.js';
import type { OperatorStateSnapshot } from '../state/operator-state-store.js';
import type { CheckpointMetadata, TaskRestore } from './checkpoint-types.js';
import { hasState } from './checkpoint-metadata-validation.js';
import { METADATA_FILE } from './checkpoint-storage.js';
import { DamagedCheckpointError, readKeyedStateFile, readOperatorStateFile } from './state-files.js';
import { isNativeKeyedStateFile, openNativeKeyedStateFile, type NativeKeyedStateFileRef } from './native-keyed-state-file.js';
import { FailedPreconditionError } from '../core/errors.js';

/** The restored state of one operator of one subtask. */
export interface RestoredOperatorState {
  checkpointId: number;
  /** Keyed entries of this subtask's key groups from canonical files (keyed operators). */
  keyed: KeyedStateEntry[];
  /** Verified native LevelDB files whose key groups intersect this subtask's (filtered on load). */
  keyedNative?: NativeKeyedStateFileRef[];
  /** Operator state after redistribution. */
  operatorState: OperatorStateSnapshot;
}

/** Restored state per operator id; operators absent from it start empty. */
export type TaskStateAssignment = Map<string, RestoredOperatorState>;

/** Reads and checks `<dir>/_metadata`. */
async function readCheckpointMetadata(checkpointDir: string): Promise<CheckpointMetadata> {
  const path = join(checkpointDir, METADATA_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FailedPreconditionError(`cannot restore from ${checkpointDir}: no readable ${METADATA_FILE} (${(cause as Error).message})`, { cause });
  }
  let metadata: CheckpointMetadata;
  try {
    metadata = JSON.parse(text) as CheckpointMetadata;
  } catch (cause) {
    throw new DamagedCheckpointError(`damaged checkpoint ${checkpointDir}: ${METADATA_FILE} is not valid JSON`, { cause });
  }
  if (metadata?.version !== 1 || !Array.isArray(metadata.operators)) {
    throw new DamagedCheckpointError(`damaged checkpoint ${checkpointDir}: ${METADATA_FILE} is not checkpoint metadata of version 1`);
  }
  return metadata;
}

/** Refuses state of operators `jobGraph` no longer has, unless allowed. */
function checkAllStateMapped(metadata: CheckpointMetadata, jobGraph: JobGraph, restore: TaskRestore): void {
  if (restore.allowNonRestoredState) return;
  const ids = new Set<string>();
  for (const v of jobGraph.vertices) for (const o of v.operators) ids.add(o.operatorId);
  const unmapped = metadata.operators.filter((o) => !ids.has(o.operatorId) && hasState(o));
  if (unmapped.length === 0) return;
  const names = unmapped.map((o) => `${o.name} (${o.operatorId})`).join(', ');
  throw new FailedPreconditionError(
    `Failed to rollback to checkpoint/savepoint ${restore.checkpointDir}: cannot map the state of operator(s) ${names} to the new program, because the operator is not available in the new program. Allow non-restored state (--allowNonRestoredState / -n) to skip it.`,
  );
}

/** Intersection test of two key-group ranges. */
function intersects(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/**
 * Merges the operator states of all old subtasks (in subtask order) into what new subtask
 * `subtaskIndex` of `parallelism` gets: split lists round-robin (element j of the concatenation
 * goes to subtask j % parallelism), union lists whole, broadcast state from the lowest old
 * subtask that has it.
 */
export function redistributeOperatorState(perOldSubtask: OperatorStateSnapshot[], subtaskIndex: number, parallelism: number): OperatorStateSnapshot {
  const out: OperatorStateSnapshot = {};
  const counters = new Map<string, number>();
  for (const snapshot of perOldSubtask) {
    for (const [name, s] of Object.entries(snapshot)) {
      let target = out[name];
      if (!target) out[name] = target = { mode: s.mode, items: [] };
      if (target.mode !== s.mode) {
        throw new DamagedCheckpointError(`operator state "${name}" is stored as ${target.mode} and as ${s.mode} in different subtasks`);
      }
      if (s.mode === 'union') target.items.push(...s.items);
      else if (s.mode === 'broadcast') {
        if (!counters.has(name)) {
          counters.set(name, 1);
          target.items.push(...s.items);
        }
      } else {
        let j = counters.get(name) ?? 0;
        for (const item of s.items) {
          if (j % parallelism === subtaskIndex) target.items.push(item);
          j++;
        }
        counters.set(name, j);
      }
    }
  }
  return out;
}

/** Loads what subtask `subtaskIndex` of `vertex` restores from `restore`. */
export async function loadTaskStateAssignment(
  restore: TaskRestore,
  jobGraph: JobGraph,
  vertex: JobVertex,
  subtaskIndex: number,
): Promise<TaskStateAssignment> {
  const metadata = await readCheckpointMetadata(restore.checkpointDir);
  checkAllStateMapped(metadata, jobGraph, restore);
  const byId = new Map(metadata.operators.map((o) => [o.operatorId, o]));
  const range = keyGroupRangeForOperator(vertex.maxParallelism, vertex.parallelism, subtaskIndex);
  const out: TaskStateAssignment = new Map();
  for (const d of vertex.operators) {
    const op = byId.get(d.operatorId);
    if (!op) continue;
    if (op.maxParallelism !== vertex.maxParallelism && op.subtasks.some((s) => s.keyed)) {
      throw new FailedPreconditionError(
        `cannot restore keyed state of ${d.name}: the checkpoint has max parallelism ${op.maxParallelism}, the job ${vertex.maxParallelism}; key groups cannot be remapped`,
      );
    }
    const subtasks = [...op.subtasks].sort((a, b) => a.subtaskIndex - b.subtaskIndex);
    const keyed: KeyedStateEntry[] = [];
    const keyedNative: NativeKeyedStateFileRef[] = [];
    const operatorStates: OperatorStateSnapshot[] = [];
    for (const s of subtasks) {
      if (s.keyed && intersects(s.keyed.keyGroupRange, range)) {
        const native = s.keyed.format ? s.keyed.format === 'leveldb-native' : await isNativeKeyedStateFile(restore.checkpointDir, s.keyed.file);
        if (native) keyedNative.push(await openNativeKeyedStateFile(restore.checkpointDir, s.keyed.file));
        else for (const e of await readKeyedStateFile(restore.checkpointDir, s.keyed.file, range)) keyed.push(e);
      }
      if (s.operatorState) operatorStates.push(await readOperatorStateFile(restore.checkpointDir, s.operatorState));
    }
    out.set(d.operatorId, {
      checkpointId: metadata.checkpointId,
      keyed,
      ...(keyedNative.length > 0 ? { keyedNative } : {}),
      operatorState: redistributeOperatorState(operatorStates, subtaskIndex, vertex.parallelism),
    });
  }
  return out;
}
