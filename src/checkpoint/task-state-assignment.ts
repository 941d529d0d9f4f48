/**
 * What one subtask restores from a checkpoint or savepoint (Flink's StateAssignmentOperation,
 * done by the task itself from `_metadata`): per operator id, the keyed entries of every old
 * subtask whose key-group range intersects the new subtask's range (filtered to its key
 * groups: rescaling), operator list state redistributed round-robin over the new parallelism,
 * union list state whole, broadcast state from one subtask's copy. Native LevelDB files are
 * only opened (size, header) here and streamed into the backend when it opens. `_metadata` is
 * parsed and checked against the job as the JobManager does it (state of operators the job no
 * longer has is refused unless `allowNonRestoredState`, a changed max parallelism always);
 * operators missing from the checkpoint start empty.
 */
import type { JobGraph, JobVertex } from '../common/job-graph.js';
import { keyGroupRangeForOperator, type KeyGroupRange } from '../state/key-groups.js';
import type { KeyedStateEntry } from '../state/keyed-state-backend.js';
import type { OperatorStateSnapshot } from '../state/operator-state-store.js';
import type { TaskRestore } from './checkpoint-types.js';
import { checkRestoreCompatibility, parseCheckpointMetadata, sharedStateDir } from './checkpoint-metadata-validation.js';
import { readMetadataText } from './checkpoint-storage.js';
import { DamagedCheckpointError, readKeyedStateFile, readOperatorStateFile } from './state-files.js';
import { isNativeKeyedStateFile, openNativeKeyedStateFile, type NativeKeyedStateFileRef } from './native-keyed-state-file.js';

/** The restored state of one operator of one subtask. */
export interface RestoredOperatorState {
  checkpointId: number;
  /** Keyed entries of this subtask's key groups from canonical files (keyed operators). */
  keyed: KeyedStateEntry[];
  /** Opened native LevelDB files whose key groups intersect this subtask's (filtered on load). */
  keyedNative?: NativeKeyedStateFileRef[];
  /** Operator state after redistribution. */
  operatorState: OperatorStateSnapshot;
}

/** Restored state per operator id; operators absent from it start empty. */
export type TaskStateAssignment = Map<string, RestoredOperatorState>;

/** Intersection test of two key-group ranges. */
function intersects(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/**
 * Merges the operator states of all old subtasks (in subtask order) into what new subtask
 * `subtaskIndex` of `parallelism` gets: split lists round-robin (element j of the concatenation
 * goes to subtask j % parallelism), union lists whole, broadcast state from the lowest old
 * subtask that has it.
 *
 * With `unchanged` (the parallelism did not change), split lists are not redistributed: the
 * subtask gets back its own (`unchanged.own`, undefined when it stored none), as Flink's
 * round-robin repartitioner does. Records an operator held (async I/O in flight, buffered sink
 * rows) thus resume where they were, behind the same input: moving them to another subtask
 * would reorder them against the records that subtask's channel carries after the restore.
 */
export function redistributeOperatorState(
  perOldSubtask: OperatorStateSnapshot[],
  subtaskIndex: number,
  parallelism: number,
  unchanged?: { own: OperatorStateSnapshot | undefined },
): OperatorStateSnapshot {
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
      } else if (unchanged) {
        if (snapshot === unchanged.own) target.items.push(...s.items);
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
  // The same checks the JobManager made before deploying: the files may have changed since.
  const metadata = parseCheckpointMetadata(await readMetadataText(restore.checkpointDir), restore.checkpointDir);
  checkRestoreCompatibility(metadata, jobGraph, restore.allowNonRestoredState, restore.checkpointDir);
  const byId = new Map(metadata.operators.map((o) => [o.operatorId, o]));
  const range = keyGroupRangeForOperator(vertex.maxParallelism, vertex.parallelism, subtaskIndex);
  const out: TaskStateAssignment = new Map();
  for (const d of vertex.operators) {
    const op = byId.get(d.operatorId);
    if (!op) continue;
    const subtasks = [...op.subtasks].sort((a, b) => a.subtaskIndex - b.subtaskIndex);
    const keyed: KeyedStateEntry[] = [];
    const keyedNative: NativeKeyedStateFileRef[] = [];
    const operatorStates: OperatorStateSnapshot[] = [];
    const unchanged = op.parallelism === vertex.parallelism ? { own: undefined as OperatorStateSnapshot | undefined } : undefined;
    for (const s of subtasks) {
      if (s.keyed?.chain && intersects(s.keyed.keyGroupRange, range)) {
        // Incremental: the base, then every delta, from the job's shared directory.
        const shared = sharedStateDir(restore.checkpointDir);
        for (const handle of s.keyed.chain) keyedNative.push(await openNativeKeyedStateFile(restore.checkpointDir, handle, shared));
      } else if (s.keyed && intersects(s.keyed.keyGroupRange, range)) {
        const native = s.keyed.format ? s.keyed.format === 'leveldb-native' : await isNativeKeyedStateFile(restore.checkpointDir, s.keyed.file);
        if (native) keyedNative.push(await openNativeKeyedStateFile(restore.checkpointDir, s.keyed.file));
        else for (const e of await readKeyedStateFile(restore.checkpointDir, s.keyed.file, range)) keyed.push(e);
      }
      if (s.operatorState) {
        const snapshot = await readOperatorStateFile(restore.checkpointDir, s.operatorState);
        operatorStates.push(snapshot);
        if (unchanged && s.subtaskIndex === subtaskIndex) unchanged.own = snapshot;
      }
    }
    out.set(d.operatorId, {
      checkpointId: metadata.checkpointId,
      keyed,
      ...(keyedNative.length > 0 ? { keyedNative } : {}),
      operatorState: redistributeOperatorState(operatorStates, subtaskIndex, vertex.parallelism, unchanged),
    });
  }
  return out;
}
