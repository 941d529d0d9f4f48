/**
 * Client of a TaskManager's `TaskManagerService`, used by the JobManager to deploy and cancel
 * subtasks and to trigger, confirm and abort checkpoints. An unreachable TaskManager fails within `connectTimeoutMs` with
 * `UnavailableError('TaskManager at <address> is not reachable')`.
 */
import { loadFlussProto } from '../../core/proto.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import type { CheckpointRequest } from '../../checkpoint/checkpoint-types.js';
import type { CancelTaskRequest, CheckpointNotification, SubmitTaskRequest, TriggerCheckpointRequest } from './messages.js';
import { RpcChannel, type RpcChannelOptions } from './rpc-channel.js';

/** Typed client of `fluss.v1.TaskManagerService`. */
export class TaskManagerClient {
  private readonly channel: RpcChannel;

  constructor(readonly address: string, options: RpcChannelOptions = {}) {
    this.channel = new RpcChannel(loadFlussProto().TaskManagerService, 'TaskManager', address, options);
  }

  /** Deploys one subtask. */
  async submitTask(deployment: TaskDeploymentDescriptor, jobGraph: JobGraph): Promise<void> {
    const request: SubmitTaskRequest = { deploymentJson: JSON.stringify(deployment), jobGraphJson: JSON.stringify(jobGraph) };
    await this.channel.unary('submitTask', request);
  }

  /** Cancels one subtask attempt; the TaskManager reports CANCELED once it stopped. */
  async cancelTask(jobId: string, vertexId: string, subtaskIndex: number, attempt: number): Promise<void> {
    const request: CancelTaskRequest = { jobId, vertexId, subtaskIndex, attempt };
    await this.channel.unary('cancelTask', request);
  }

  /** Starts checkpoint `request.checkpointId` at one source subtask attempt. */
  async triggerCheckpoint(jobId: string, vertexId: string, subtaskIndex: number, attempt: number, request: CheckpointRequest): Promise<void> {
    const req: TriggerCheckpointRequest = { jobId, vertexId, subtaskIndex, attempt, requestJson: JSON.stringify(request) };
    await this.channel.unary('triggerCheckpoint', req);
  }

  /** Checkpoint `checkpointId` is complete; `vertexId` empty addresses every task of the job on this TaskManager. */
  async notifyCheckpointComplete(jobId: string, checkpointId: number, vertexId = '', subtaskIndex = 0, attempt = 0): Promise<void> {
    const req: CheckpointNotification = { jobId, checkpointId, vertexId, subtaskIndex, attempt };
    await this.channel.unary('notifyCheckpointComplete', req);
  }

  /** Checkpoint `checkpointId` was aborted; `vertexId` empty addresses every task of the job on this TaskManager. */
  async abortCheckpoint(jobId: string, checkpointId: number, vertexId = '', subtaskIndex = 0, attempt = 0): Promise<void> {
    const req: CheckpointNotification = { jobId, checkpointId, vertexId, subtaskIndex, attempt };
    await this.channel.unary('abortCheckpoint', req);
  }

  /** Closes the connection. */
  close(): void {
    this.channel.close();
  }
}
