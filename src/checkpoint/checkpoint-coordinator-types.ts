/**
 * What the CheckpointCoordinator talks to: the tasks (through the JobMaster), the checkpoint
 * storage on the shared dir, a clock with timers, and whoever follows its statistics. Kept as
 * interfaces so the coordinator itself stays pure bookkeeping, testable without I/O.
 */
import type { CheckpointSettings, JobGraph } from '../common/job-graph.js';
import type { CheckpointMetadata, CheckpointRequest, TaskCheckpointAck } from './checkpoint-types.js';
import type { CompletedCheckpoint } from './completed-checkpoint-store.js';
import type { CheckpointTask } from './pending-checkpoint.js';

/** The job's current subtasks, as the coordinator needs them to trigger a checkpoint. */
export interface CheckpointTaskSet {
  /** Every subtask (current attempt): all of them must acknowledge. */
  all: CheckpointTask[];
  /** Subtasks of source vertices: these receive TriggerCheckpoint. */
  sources: CheckpointTask[];
}

/** The coordinator's way to the tasks. */
export interface CheckpointTaskGateway {
  /** The current subtasks when every one of them is RUNNING; undefined otherwise. */
  runningTasks(): CheckpointTaskSet | undefined;
  /** Starts checkpoint `request.checkpointId` at a source subtask. */
  triggerCheckpoint(task: CheckpointTask, request: CheckpointRequest): Promise<void>;
  /** Tells a subtask that the checkpoint is complete (two-phase-commit sinks commit). */
  notifyCheckpointComplete(task: CheckpointTask, checkpointId: number): Promise<void>;
  /** Tells a subtask that the checkpoint was aborted. */
  abortCheckpoint(task: CheckpointTask, checkpointId: number): Promise<void>;
}

/** Directories and `_metadata` of one job's checkpoints. */
export interface CheckpointStorageAccess {
  /** Creates and returns `<state.checkpoints.dir>/<jobId>/chk-<n>`. */
  initCheckpointDir(checkpointId: number): Promise<string>;
  /** Creates and returns `<targetDir or state.savepoints.dir>/savepoint-<6 hex>-<12 hex>`. */
  initSavepointDir(targetDir: string | undefined): Promise<string>;
  /** Writes `<dir>/_metadata` atomically (temp file, fsync, rename). */
  writeMetadata(dir: string, metadata: CheckpointMetadata): Promise<void>;
  /**
   * Removes a checkpoint directory and everything in it. Resolves once it is gone from the
   * job's `chk-*` directories; the real storage renames it aside first and deletes it in the
   * background.
   */
  discard(dir: string): Promise<void>;
  /**
   * Removes the job's `chk-<n>` directories with `n <= upTo` and `n` not in `keep`; resolves
   * with the removed ids. Optional: storage doubles without directories leave it out.
   */
  sweep?(keep: ReadonlySet<number>, upTo: number): Promise<number[]>;
  /**
   * Deletes the files of the job's shared directory (incremental checkpoints) for which
   * `collectable(name)` holds; resolves with their names. Optional, as {@link sweep}.
   */
  sweepShared?(collectable: (name: string) => boolean): Promise<string[]>;
  /** Reads the `_metadata` of a retained checkpoint (one recovered without it). Optional, as {@link sweep}. */
  readMetadata?(dir: string): Promise<CheckpointMetadata>;
}

/** A clock with cancellable timers (fake in unit tests). */
export interface CheckpointScheduler {
  now(): number;
  /** Runs `fn` after `ms`; returns the function cancelling it. */
  schedule(fn: () => void, ms: number): () => void;
}

/** Receives checkpoint statistics; CheckpointStatsTracker implements it. */
export interface CheckpointStatsListener {
  reportPending(id: number, triggerTimestamp: number, isSavepoint: boolean): void;
  /** `ack`: the subtask and its statistics, for the per-checkpoint details. */
  reportAcknowledged(id: number, ackTimestamp: number, stateSize: number, alignmentMs?: number, ack?: Pick<TaskCheckpointAck, 'vertexId' | 'subtaskIndex' | 'stats'>): void;
  reportCompleted(id: number, completionTimestamp: number, externalPath: string): void;
  reportFailed(id: number, failureTimestamp: number, message: string): void;
}

/** What the job hears from its coordinator. */
export interface CheckpointCoordinatorListener {
  /**
   * A checkpoint or savepoint completed (its `_metadata` exists). Awaited before any task is
   * notified: what it records (the HA store's pointer) is durable before sinks commit, so a
   * recovered JobManager never restores a checkpoint older than committed output.
   */
  onCheckpointCompleted?(checkpoint: CompletedCheckpoint, retained: readonly CompletedCheckpoint[]): void | Promise<void>;
  /** More consecutive checkpoints failed than the job tolerates: the job must fail over. */
  onTolerableFailuresExceeded(cause: string): void;
  /** Something worth a log line (a cleanup that failed, an ack for an unknown checkpoint). */
  onWarning?(message: string): void;
}

/** The real clock and `setTimeout`, with timers that do not keep the process alive. */
export const SYSTEM_SCHEDULER: CheckpointScheduler = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
};

/** Construction parameters of a the CheckpointCoordinator. */
export interface CheckpointCoordinatorParams {
  jobId: string;
  jobGraph: JobGraph;
  settings: CheckpointSettings;
  /** `state.checkpoints.num-retained`. */
  numRetained: number;
  gateway: CheckpointTaskGateway;
  storage: CheckpointStorageAccess;
  scheduler: CheckpointScheduler;
  stats: CheckpointStatsListener;
  listener: CheckpointCoordinatorListener;
  /** First checkpoint id (after a restore: above every id used before). */
  firstCheckpointId?: number;
  /** Checkpoints a previous JobManager retained (HA recovery), subject to retention like new ones. */
  recoveredCheckpoints?: readonly CompletedCheckpoint[];
}
