/**
 * Test harness for the JobManager: a small job graph and a fake TaskManager made of a real gRPC
 * server implementing TaskManagerService (the edge the JobManager talks to), which registers,
 * heartbeats and reports task states through the real JobManagerClient.
 */
import * as grpc from '@grpc/grpc-js';
import { NotFoundError } from '../../src/core/errors.js';
import { GRPC_OPTIONS, loadFlussProto } from '../../src/core/proto.js';
import { newId } from '../../src/core/ids.js';
import type { JobEdge, JobGraph, JobVertex, RestartStrategySettings } from '../../src/common/job-graph.js';
import type { ExecutionState, TaskDeploymentDescriptor } from '../../src/runtime/task-deployment.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { bindServer, shutdownServer, unaryHandler } from '../../src/cluster/rpc/grpc-server.js';
import type { CancelTaskRequest, SubmitTaskRequest } from '../../src/cluster/rpc/messages.js';

function vertex(id: string, name: string, parallelism: number, inputs: JobEdge[], outputs: JobEdge[]): JobVertex {
  return {
    id,
    name,
    parallelism,
    maxParallelism: 128,
    operators: [
      { operatorId: id, nodeId: 1, name, kind: inputs.length === 0 ? 'source' : 'map', settings: {}, numberOfInputs: inputs.length === 0 ? 0 : 1, keyed: false, chainedOutputs: [], networkOutputs: outputs.map((_, i) => i) },
    ],
    inputs,
    outputs,
  };
}

/** Source (p = sourceParallelism) --hash--> Map (p = mapParallelism). */
export function twoVertexJobGraph(sourceParallelism: number, mapParallelism: number, restartStrategy?: RestartStrategySettings): JobGraph {
  const edge: JobEdge = {
    id: 'e1',
    streamEdgeId: 's1',
    sourceVertexId: 'src',
    targetVertexId: 'map',
    partitioner: 'hash',
    sourceOperatorIndex: 0,
    targetOperatorIndex: 0,
    targetInput: 0,
  };
  return {
    jobName: 'word count',
    vertices: [vertex('src', 'Source: words', sourceParallelism, [], [edge]), vertex('map', 'Map', mapParallelism, [edge], [])],
    settings: {
      parallelism: sourceParallelism,
      maxParallelism: 128,
      bufferTimeoutMs: 5,
      checkpoint: { intervalMs: 0, mode: 'EXACTLY_ONCE', timeoutMs: 600000, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, retention: 'DELETE_ON_CANCELLATION' },
      restartStrategy,
      autoWatermarkIntervalMs: 200,
    },
    fingerprint: 'f'.repeat(32),
  };
}

/** A deployment received by the fake TaskManager. */
export interface ReceivedTask {
  deployment: TaskDeploymentDescriptor;
  jobGraph: JobGraph;
}

/** Polls `predicate` until true or the timeout elapses. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A TaskManager double: real gRPC server, real JobManagerClient, no task execution. */
export class FakeTaskManager {
  readonly taskManagerId = newId();
  readonly tasks: ReceivedTask[] = [];
  readonly cancels: CancelTaskRequest[] = [];
  /** Report CANCELED when asked to cancel (a well-behaved TaskManager). */
  confirmCancels = true;
  address = '';
  registrationId = '';
  private server: grpc.Server | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  readonly client: JobManagerClient;

  constructor(jobManagerAddress: string, readonly numberOfSlots: number) {
    this.client = new JobManagerClient(jobManagerAddress, { connectTimeoutMs: 2_000 });
  }

  /** Starts the server and registers with the JobManager, then heartbeats every interval. */
  async start(): Promise<void> {
    const server = new grpc.Server(GRPC_OPTIONS);
    server.addService(loadFlussProto().TaskManagerService.service, {
      submitTask: unaryHandler<SubmitTaskRequest, object>((req) => {
        this.tasks.push({ deployment: JSON.parse(req.deploymentJson), jobGraph: JSON.parse(req.jobGraphJson) });
        return {};
      }),
      cancelTask: unaryHandler<CancelTaskRequest, object>((req) => {
        const known = this.tasks.some(
          (t) => t.deployment.jobId === req.jobId && t.deployment.vertexId === req.vertexId && t.deployment.subtaskIndex === req.subtaskIndex && t.deployment.attempt === req.attempt,
        );
        if (!known) throw new NotFoundError(`task ${req.vertexId}/${req.subtaskIndex} not found`);
        this.cancels.push(req);
        if (this.confirmCancels) {
          setTimeout(() => void this.report(req.jobId, req.vertexId, req.subtaskIndex, req.attempt, 'CANCELED').catch(() => {}), 5);
        }
        return {};
      }),
    });
    this.address = await bindServer(server, '127.0.0.1', 0);
    this.server = server;
    const reg = await this.client.registerTaskManager({ taskManagerId: this.taskManagerId, rpcAddress: this.address, numberOfSlots: this.numberOfSlots });
    this.registrationId = reg.registrationId;
    this.heartbeatTimer = setInterval(() => void this.client.heartbeat(this.taskManagerId, this.registrationId).catch(() => {}), reg.heartbeatIntervalMs);
  }

  /** Stops heartbeating (the JobManager will consider this TaskManager lost). */
  stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Reports a task state to the JobManager. */
  report(jobId: string, vertexId: string, subtaskIndex: number, attempt: number, state: ExecutionState, failureCause?: string): Promise<void> {
    return this.client.updateTaskExecutionState({ taskManagerId: this.taskManagerId, jobId, vertexId, subtaskIndex, attempt, state, failureCause });
  }

  /** Reports `state` for every task of `jobId` at `attempt` received so far. */
  async reportAll(jobId: string, state: ExecutionState, attempt = 0): Promise<void> {
    for (const t of this.tasks.filter((t) => t.deployment.jobId === jobId && t.deployment.attempt === attempt)) {
      await this.report(jobId, t.deployment.vertexId, t.deployment.subtaskIndex, attempt, state);
    }
  }

  async stop(): Promise<void> {
    this.stopHeartbeats();
    this.client.close();
    if (this.server) await shutdownServer(this.server, 500);
  }
}
