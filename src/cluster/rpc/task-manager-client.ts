/**
 * Client of a TaskManager's `TaskManagerService`, used by the JobManager to deploy and cancel
 * subtasks. An unreachable TaskManager fails within `connectTimeoutMs` with
 * `UnavailableError('TaskManager at <address> is not reachable')`.
 */
import { loadFlussProto } from '../../core/proto.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import type { CancelTaskRequest, SubmitTaskRequest } from './messages.js';
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

  /** Closes the connection. */
  close(): void {
    this.channel.close();
  }
}
