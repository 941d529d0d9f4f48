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
import type { StateFileHandle, TaskRestore } from './checkpoint-types.js';
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
  /**
   * The incremental chain this subtask had at the restored checkpoint, when it restores exactly
   * that chain (same subtask, same key groups): its next checkpoint may continue it with a delta.
   */
  continuableChain?: { files: { handle: StateFileHandle; bytes: number }[]; origin: string };
}

/** Restored state per operator id; operators absent from it start empty. */
export type TaskStateAssignment = Map<string, RestoredOperatorState>;

/** Intersection test of two key-group ranges. */
function intersects(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** Where the operator states handed to {@link redistributeOperatorState} come from. */
export interface OldOperatorStateLayout {
  /** The operator's parallelism when the states were taken. */
  oldParallelism: number;
  /** The old subtask index of each entry of `perOldSubtask`. */
  oldIndices: readonly number[];
}

/**
 * Merges the operator states of all old subtasks (in subtask order) into what new subtask
 * `subtaskIndex` of `parallelism` gets: split lists round-robin (element j of the concatenation
 * goes to subtask j % parallelism), union lists whole, broadcast state from the lowest old
 * subtask that has it. As in Flink, when the parallelism did not change (`layout` says so) a
 * split list stays with its subtask: what a subtask had in flight per key (async I/O, source
 * splits) comes back to the same subtask, so the order per key holds across a restore.
 */
export function redistributeOperatorState(
  perOldSubtask: OperatorStateSnapshot[],
  subtaskIndex: number,
  parallelism: number,
  layout?: OldOperatorStateLayout,
): OperatorStateSnapshot {
  const keep = layout !== undefined && layout.oldParallelism === parallelism;
  const out: OperatorStateSnapshot = {};
  const counters = new Map<string, number>();
  for (let k = 0; k < perOldSubtask.length; k++) {
    const snapshot = perOldSubtask[k]!;
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
      } else if (keep) {
        if (layout.oldIndices[k] === subtaskIndex) target.items.push(...s.items);
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

/** A checked local copy of the restoring subtask's own files (see local-state-restore.ts). */
export interface LocalStateFiles {
  /** Directory holding the subtask's keyed and operator state files under their handles' paths. */
  dir: string;
  /**
   * The native keyed state files of the copy were checksummed already: loading them checks
   * their sizes only. (Canonical files are checksummed as they are read here.)
   */
  nativeChecksummed?: boolean;
}

/**
 * Loads what subtask `subtaskIndex` of `vertex` restores from `restore`. With `local`, the
 * subtask's own files (same index, unchanged parallelism) are read from the local copy; files of
 * other subtasks (union and broadcast state) still come from the checkpoint.
 */
export async function loadTaskStateAssignment(
  restore: TaskRestore,
  jobGraph: JobGraph,
  vertex: JobVertex,
  subtaskIndex: number,
  local?: LocalStateFiles,
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
    const oldIndices: number[] = [];
    let continuableChain: RestoredOperatorState['continuableChain'];
    for (const s of subtasks) {
      const fromLocal = local !== undefined && s.subtaskIndex === subtaskIndex && op.parallelism === vertex.parallelism;
      // Where this subtask's files are read (a local copy keeps every file under its own name).
      const dir = fromLocal ? local.dir : restore.checkpointDir;
      const checksummed = fromLocal && local.nativeChecksummed === true;
      if (s.keyed?.chain && intersects(s.keyed.keyGroupRange, range)) {
        // Incremental: the base, then every delta, from the job's shared directory.
        const shared = fromLocal ? local.dir : sharedStateDir(restore.checkpointDir);
        for (const handle of s.keyed.chain) keyedNative.push(await openNativeKeyedStateFile(restore.checkpointDir, handle, shared, checksummed));
        const sameKeyGroups = s.keyed.keyGroupRange.start === range.start && s.keyed.keyGroupRange.end === range.end;
        if (sameKeyGroups && s.subtaskIndex === subtaskIndex && op.parallelism === vertex.parallelism) {
          continuableChain = { files: s.keyed.chain.map((handle) => ({ handle, bytes: handle.size })), origin: sharedStateDir(restore.checkpointDir) };
        }
      } else if (s.keyed && intersects(s.keyed.keyGroupRange, range)) {
        const native = s.keyed.format ? s.keyed.format === 'leveldb-native' : await isNativeKeyedStateFile(dir, s.keyed.file);
        if (native) keyedNative.push(await openNativeKeyedStateFile(restore.checkpointDir, s.keyed.file, dir, checksummed));
        else for (const e of await readKeyedStateFile(dir, s.keyed.file, range)) keyed.push(e);
      }
      if (s.operatorState) {
        operatorStates.push(await readOperatorStateFile(dir, s.operatorState));
        oldIndices.push(s.subtaskIndex);
      }
    }
    out.set(d.operatorId, {
      checkpointId: metadata.checkpointId,
      keyed,
      ...(keyedNative.length > 0 ? { keyedNative } : {}),
      ...(continuableChain ? { continuableChain } : {}),
      operatorState: redistributeOperatorState(operatorStates, subtaskIndex, vertex.parallelism, { oldParallelism: op.parallelism, oldIndices }),
    });
  }
  return out;
}
