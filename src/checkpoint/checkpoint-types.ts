/**
 * Checkpoint contracts shared by the JobManager (CheckpointCoordinator) and the TaskManagers
 * (tasks snapshotting and restoring). Plain data; travels as JSON in the checkpoint RPCs and is
 * what `_metadata` holds. Paths inside a checkpoint are relative to its directory, so a
 * savepoint directory can be moved.
 */
import type { SubtaskAttempt } from '../common/subtask-attempt.js';
import type { KeyGroupRange } from '../state/key-groups.js';

/** What a task is asked to snapshot. */
export interface CheckpointRequest {
  checkpointId: number;
  /** ms since epoch when the coordinator triggered it. */
  timestamp: number;
  /** A savepoint: canonical format, never deleted by retention. */
  savepoint: boolean;
  /** EXACTLY_ONCE aligns barriers; AT_LEAST_ONCE does not. */
  aligned: boolean;
  /** Absolute directory the task writes its state files into (shared filesystem). */
  targetDir: string;
  /**
   * Stop-with-savepoint: after emitting this barrier the sources stop producing, and once the
   * savepoint completed they end their input, so the job finishes. Absent: a plain checkpoint.
   */
  stop?: boolean;
  /** With `stop`: sources emit the maximal watermark before the barrier (event-time windows fire). */
  drain?: boolean;
  /** Unaligned from the start (`execution.checkpointing.unaligned.enabled`, no aligned timeout). */
  unaligned?: boolean;
  /** Aligned at first, unaligned once this many ms passed since `timestamp` (aligned-checkpoint-timeout). */
  alignedTimeoutMs?: number;
}

/** A state file written by a task, relative to the checkpoint directory. */
export interface StateFileHandle {
  path: string;
  size: number;
  /** sha256 hex of the file's bytes; a mismatch on restore refuses the checkpoint. */
  checksum: string;
}

/** Keyed state of one operator subtask: the entries of the key groups it owned. */
export interface KeyedStateHandle {
  file: StateFileHandle;
  keyGroupRange: KeyGroupRange;
  /**
   * Format of the file: `canonical` (backend-independent msgpack entries; savepoints, memory
   * backend) or `leveldb-native` (raw LevelDB records; checkpoints of the LevelDB backend).
   * Absent: canonical (checkpoints written before the native format existed).
   */
  format?: 'canonical' | 'leveldb-native';
  /**
   * Incremental checkpoints (`leveldb-native` only): the files a restore applies in order, the
   * last materialized snapshot first, then the deltas since; `file` is the last of them. With a
   * chain, every path (`file`'s too) is relative to the job's shared directory
   * (`<state.checkpoints.dir>/<jobId>/shared`, see incremental-keyed-state.ts), where files
   * live as long as a retained checkpoint references them (shared-state-registry.ts).
   */
  chain?: StateFileHandle[];
}

/** Everything one operator of one subtask put into a checkpoint. */
export interface OperatorSubtaskState {
  operatorId: string;
  subtaskIndex: number;
  /** Keyed state and timers (absent for non-keyed operators or empty state). */
  keyed?: KeyedStateHandle;
  /** Operator state: list, union list and broadcast states. */
  operatorState?: StateFileHandle;
  /**
   * In-flight records of an unaligned checkpoint (input channel and output subpartition state of
   * the subtask), held by the subtask's head operator.
   */
  channelState?: StateFileHandle;
}

/** Timing and size of one subtask's part of a checkpoint. */
export interface SubtaskCheckpointStats {
  /** Time from the first barrier to the last one (aligned checkpoints). */
  alignmentMs: number;
  syncMs: number;
  asyncMs: number;
  /** Bytes of the subtask's state in the checkpoint (full size: incremental chains counted whole). */
  stateSize: number;
  /** Bytes written for this checkpoint (incremental: the delta only; absent: `stateSize`). */
  checkpointedSize?: number;
  /** Bytes of in-flight data stored as channel state (unaligned checkpoints; 0 for aligned ones). */
  channelStateBytes?: number;
  /**
   * Time from the first barrier to the snapshot, ms: the alignment of an aligned checkpoint, the
   * time until the barrier overtook the buffered data of an unaligned one (absent: `alignmentMs`).
   */
  alignmentDurationMs?: number;
}

/** A task's acknowledgement of a checkpoint. */
export interface TaskCheckpointAck extends SubtaskAttempt {
  checkpointId: number;
  operators: OperatorSubtaskState[];
  stats: SubtaskCheckpointStats;
  /**
   * Set by a source subtask that reached the end of its input and waits for its final
   * checkpoint: it finishes once notified of a checkpoint in which every source had ended.
   */
  endOfInput?: boolean;
}

/** A subtask's refusal of one checkpoint (DeclineCheckpoint): it is aborted. */
export interface TaskCheckpointDecline extends SubtaskAttempt {
  checkpointId: number;
  /** Why, in one line. */
  reason: string;
}

/** One operator across all its subtasks, as stored in `_metadata`. */
export interface OperatorCheckpointState {
  operatorId: string;
  /** Operator name at the time of the checkpoint (diagnostics). */
  name: string;
  parallelism: number;
  maxParallelism: number;
  subtasks: OperatorSubtaskState[];
}

/** The content of `_metadata`: a checkpoint exists iff this file exists. */
export interface CheckpointMetadata {
  version: 1;
  jobId: string;
  checkpointId: number;
  timestamp: number;
  savepoint: boolean;
  operators: OperatorCheckpointState[];
}

/** What a deployment restores from (inside TaskDeploymentDescriptor). */
export interface TaskRestore {
  /** Absolute directory of the checkpoint or savepoint (holds `_metadata`). */
  checkpointDir: string;
  checkpointId: number;
  /** Skip state of operators that no longer exist (`-n` / allowNonRestoredState). */
  allowNonRestoredState: boolean;
}
