/**
 * TypeScript shapes of the `fluss.v1` protobuf messages, exactly as @grpc/proto-loader delivers
 * them with the options of src/core/proto.ts: camelCase field names, int64 as `number`,
 * defaults filled in (empty string, 0, false, empty list) and oneofs named by a `message` field.
 * Domain-level fields (status strings) are narrowed to their TypeScript unions; servers still
 * validate whatever arrives on the wire.
 */
import type { JobSubtaskAttempt } from '../../common/subtask-attempt.js';
import type { ExecutionState, JobStatus } from '../../runtime/task-deployment.js';

// ---------------------------------------------------------------- JobManagerService

/** `SubmitJobRequest`: a bundle plus its JobGraph as JSON. */
export interface SubmitJobRequest {
  bundle: Buffer;
  jobGraphJson: string;
  programArgs: string[];
  /** Empty string: let the JobManager generate one. */
  jobId: string;
  /** Savepoint or checkpoint directory to start from; empty for a fresh start. */
  restorePath?: string;
  /** Skip state of operators the job no longer has (`-n`). */
  allowNonRestoredState?: boolean;
  /** Start from empty state when every checkpoint is damaged (`--restoreFromEmptyOnDamage`). */
  restoreFromEmptyOnDamage?: boolean;
}

/** `SubmitJobResponse`. */
export interface SubmitJobResponse {
  jobId: string;
}

/** `ListJobsRequest`. */
export interface ListJobsRequest {
  includeTerminated: boolean;
}

/** `ListJobsResponse`: newest first. */
export interface ListJobsResponse {
  jobs: JobInfo[];
}

/** `GetJobRequest` (also the request of `WatchJob`). */
export interface GetJobRequest {
  jobId: string;
}

/** Status of one job vertex: the aggregate state of its subtasks. */
export interface VertexInfo {
  id: string;
  name: string;
  parallelism: number;
  status: ExecutionState;
  /** Records read and written, summed over subtasks (0 until TaskManagers report). */
  recordsIn?: number;
  recordsOut?: number;
  recordsInPerSecond?: number;
  recordsOutPerSecond?: number;
}

/** `JobInfo`: status and details of one job. */
export interface JobInfo {
  jobId: string;
  name: string;
  status: JobStatus;
  /** ms since epoch. */
  startTime: number;
  /** ms since epoch; 0 while the job is not terminal. */
  endTime: number;
  /** One line: why the job FAILED (or FAILING), or, while RESTARTING, the failure it restarts after; empty otherwise. */
  failureCause: string;
  vertices: VertexInfo[];
  /** Completed checkpoints so far (absent or 0 without checkpointing). */
  completedCheckpoints?: number;
  /** Id of the latest completed checkpoint, 0 when none. */
  lastCheckpointId?: number;
  /** ms since epoch the latest completed checkpoint completed, 0 when none. */
  lastCheckpointTime?: number;
}

/** `CancelJobRequest`. */
export interface CancelJobRequest {
  jobId: string;
}

/** `CancelJobResponse` (empty). */
export type CancelJobResponse = Record<string, never>;

/** `RunningTask`: a task a (re-)registering TaskManager still runs. */
export type RunningTask = JobSubtaskAttempt;

/** `RegisterTaskManagerRequest`. */
export interface RegisterTaskManagerRequest {
  taskManagerId: string;
  /** `host:port` of its TaskManagerService / DataExchange server. */
  rpcAddress: string;
  numberOfSlots: number;
  runningTasks: RunningTask[];
  /** Its memory budget in bytes (0: left to the host process); null from older TaskManagers. */
  memory?: TaskManagerMemoryMessage | null;
}

/** `TaskManagerMemory`. */
export interface TaskManagerMemoryMessage {
  totalProcessMemory: number;
  taskHeap: number;
  managedMemory: number;
  jvmOverhead: number;
  heapLimit: number;
}

/** `RegisterTaskManagerResponse`. */
export interface RegisterTaskManagerResponse {
  registrationId: string;
  heartbeatIntervalMs: number;
}

/** `HeartbeatRequest`. */
export interface HeartbeatRequest {
  taskManagerId: string;
  registrationId: string;
  /** Task metrics (TaskManagerMetricsReport as JSON); empty when the TaskManager sends none. */
  metricsJson: string;
  /** Jobs of which the TaskManager keeps task-local state. */
  localStateJobIds?: string[];
}

/** `HeartbeatResponse`: which of the request's `localStateJobIds` ended. */
export interface HeartbeatResponse {
  endedJobIds?: string[];
}

/** `TaskExecutionStateUpdate`: a task changed state. */
export interface TaskExecutionStateUpdate extends JobSubtaskAttempt {
  taskManagerId: string;
  state: ExecutionState;
  /** One line; empty unless `state` is FAILED. */
  failureCause: string;
  /** With RUNNING: a source reached the end of its input and awaits its final checkpoint. */
  endOfInput?: boolean;
}

/** `Ack` (empty). */
export type Ack = Record<string, never>;

/** `FetchBundleRequest`. */
export interface FetchBundleRequest {
  bundleHash: string;
}

/** `FetchBundleResponse`. */
export interface FetchBundleResponse {
  bundle: Buffer;
}

/** `AcknowledgeCheckpointRequest`: `ackJson` is a TaskCheckpointAck. */
export interface AcknowledgeCheckpointRequest {
  taskManagerId: string;
  jobId: string;
  ackJson: string;
}

/** `DeclineCheckpointRequest`. */
export interface DeclineCheckpointRequest extends JobSubtaskAttempt {
  taskManagerId: string;
  checkpointId: number;
  reason: string;
}

/** `TriggerSavepointRequest`. */
export interface TriggerSavepointRequest {
  jobId: string;
  /** Empty: `state.savepoints.dir`. */
  targetDirectory: string;
  stop: boolean;
  drain: boolean;
  cancel: boolean;
}

/** `TriggerSavepointResponse`. */
export interface TriggerSavepointResponse {
  path: string;
}

/** `DisposeSavepointRequest`. */
export interface DisposeSavepointRequest {
  path: string;
}

// ---------------------------------------------------------------- TaskManagerService

/** `SubmitTaskRequest`: a TaskDeploymentDescriptor and the job's JobGraph, both as JSON. */
export interface SubmitTaskRequest {
  deploymentJson: string;
  jobGraphJson: string;
}

/** `CancelTaskRequest`. */
export type CancelTaskRequest = JobSubtaskAttempt;

/** `TriggerCheckpointRequest`: `requestJson` is a CheckpointRequest. */
export interface TriggerCheckpointRequest extends JobSubtaskAttempt {
  requestJson: string;
}

/** `CheckpointNotification`: `vertexId` empty means every task of the job on the TaskManager. */
export interface CheckpointNotification extends JobSubtaskAttempt {
  checkpointId: number;
}
