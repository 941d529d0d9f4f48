/**
 * What a the `JobMaster` is created with and the requests it takes from the JobManager's
 * services: savepoint options and task state updates from TaskManagers; and the job's
 * checkpointing as those params configure it.
 */
import type { SubtaskAttempt } from '../../common/subtask-attempt.js';
import type { FlussConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { ExecutionState } from '../../runtime/task-deployment.js';
import type { TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { CompletedCheckpoint } from '../../checkpoint/completed-checkpoint-store.js';
import type { JobInfo } from '../rpc/messages.js';
import type { CheckpointStatsTracker } from './checkpoint-stats-tracker.js';
import type { ExecutionGraph } from './execution-graph.js';
import type { JobCheckpointingParams } from './job-checkpointing.js';
import type { ResourceManager } from './resource-manager.js';

/** What a JobMaster is created with. */
export interface JobMasterParams {
  jobId: string;
  jobGraph: JobGraph;
  bundleHash: string;
  programArgs: string[];
  config: FlussConfig;
  logger: Logger;
  resourceManager: ResourceManager;
  /** Called after every job status change with the new JobInfo. */
  onStatusChange: (info: JobInfo) => void;
  /** The checkpoint or savepoint the job was submitted with (`fluss run -s`). */
  restore?: TaskRestore;
  /** JobManager recovery: the checkpoints a previous JobManager retained, oldest first (the newest is restored). */
  recoveredCheckpoints?: readonly CompletedCheckpoint[];
  /** JobManager recovery: the job completed a checkpoint before (it never starts over silently). */
  checkpointedBefore?: boolean;
  /** JobManager recovery: the first checkpoint id, above every one used before. */
  firstCheckpointId?: number;
  /** Start from empty state when every checkpoint is damaged, instead of failing (opt-in). */
  restoreFromEmptyOnDamage?: boolean;
  /** The retained checkpoints changed (the HA store records them). */
  onRetainedCheckpointsChanged?: (retained: readonly CompletedCheckpoint[]) => void | Promise<void>;
  /**
   * The first execution attempt (default 0): a recovered job continues above the attempts an
   * earlier JobManager deployed, so attempt numbers (in sink file names, in cleanup decisions)
   * never repeat within a job.
   */
  firstAttempt?: number;
  /** Records the highest attempt about to be deployed (the HA store keeps it); awaited first. */
  recordAttempt?: (attempt: number) => Promise<void>;
}

/** What a savepoint request asks for. */
export interface SavepointOptions {
  /** Default `state.savepoints.dir`. */
  targetDirectory?: string;
  /** Stop-with-savepoint. */
  stop?: boolean;
  /** With stop: emit the maximal watermark first. */
  drain?: boolean;
  /** Cancel the job once the savepoint completed. */
  cancel?: boolean;
}

/** A task state update as it arrives from a TaskManager. */
export interface TaskStateUpdate extends SubtaskAttempt {
  taskManagerId: string;
  state: ExecutionState;
  failureCause: string;
  /** With RUNNING: a source reached the end of its input and awaits its final checkpoint. */
  endOfInput?: boolean;
}

/**
 * The checkpointing of a job as its JobMaster's params configure it: the restore point it was
 * submitted with, what JobManager recovery found, and the damage policy.
 */
export function jobCheckpointingParams(
  params: JobMasterParams,
  graph: ExecutionGraph,
  stats: CheckpointStatsTracker,
  onTolerableFailuresExceeded: (cause: string) => void,
): JobCheckpointingParams {
  return {
    jobId: params.jobId,
    jobGraph: params.jobGraph,
    config: params.config,
    logger: params.logger,
    resourceManager: params.resourceManager,
    graph,
    stats,
    initialRestore: params.restore,
    ...(params.recoveredCheckpoints ? { recoveredCheckpoints: params.recoveredCheckpoints } : {}),
    ...(params.firstCheckpointId !== undefined ? { firstCheckpointId: params.firstCheckpointId } : {}),
    checkpointedBefore: params.checkpointedBefore === true,
    restoreFromEmptyOnDamage: params.restoreFromEmptyOnDamage ?? params.config['execution.checkpointing.restore-from-empty-on-damage'],
    onRetainedCheckpointsChanged: params.onRetainedCheckpointsChanged,
    onTolerableFailuresExceeded,
  };
}
