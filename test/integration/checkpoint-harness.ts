/**
 * A TaskManager double that takes part in checkpoints: a real gRPC TaskManagerService that
 * records deployments and, when every source subtask of the job it hosts was triggered for
 * checkpoint n, acknowledges n for every hosted subtask with a real state file (sha256
 * checksum) written into the checkpoint directory — the way real tasks do after barriers
 * travelled through the job. It talks to the JobManager through the real JobManagerClient.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { CheckpointRequest, TaskCheckpointAck } from '../../src/checkpoint/checkpoint-types.js';
import { parseCheckpointRequest } from '../../src/cluster/rpc/checkpoint-rpc-schemas.js';
import { bindServer, shutdownServer, unaryHandler } from '../../src/cluster/rpc/grpc-server.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import type { CancelTaskRequest, CheckpointNotification, SubmitTaskRequest, TriggerCheckpointRequest } from '../../src/cluster/rpc/messages.js';
import { GRPC_OPTIONS, loadFlussProto } from '../../src/core/proto.js';
import { newId, sha256Hex } from '../../src/core/ids.js';
import type { ExecutionState, TaskDeploymentDescriptor } from '../../src/runtime/task-deployment.js';

/** A TaskManager double that acknowledges checkpoints with real state files. */
export class CheckpointingTaskManager {
  readonly taskManagerId = newId();
  readonly deployments: TaskDeploymentDescriptor[] = [];
  readonly triggers: CheckpointRequest[] = [];
  readonly completed: CheckpointNotification[] = [];
  readonly aborted: CheckpointNotification[] = [];
  /** When false, triggers are recorded but never acknowledged (checkpoints expire). */
  acknowledge = true;
  address = '';
  private registrationId = '';
  private server: grpc.Server | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly triggered = new Map<number, Set<string>>();
  readonly client: JobManagerClient;

  constructor(jobManagerAddress: string, readonly numberOfSlots: number) {
    this.client = new JobManagerClient(jobManagerAddress, { connectTimeoutMs: 2_000 });
  }

  async start(): Promise<void> {
    const server = new grpc.Server(GRPC_OPTIONS);
    server.addService(loadFlussProto().TaskManagerService.service, {
      submitTask: unaryHandler<SubmitTaskRequest, object>((req) => {
        const d = JSON.parse(req.deploymentJson) as TaskDeploymentDescriptor;
        this.deployments.push(d);
        // Tasks come up at once.
        setTimeout(() => void this.report(d, 'RUNNING').catch(() => {}), 5);
        return {};
      }),
      cancelTask: unaryHandler<CancelTaskRequest, object>((req) => {
        const d = this.deployments.find((t) => t.jobId === req.jobId && t.vertexId === req.vertexId && t.subtaskIndex === req.subtaskIndex && t.attempt === req.attempt);
        if (d) setTimeout(() => void this.report(d, 'CANCELED').catch(() => {}), 5);
        return {};
      }),
      triggerCheckpoint: unaryHandler<TriggerCheckpointRequest, object>((req) => {
        const request = parseCheckpointRequest(req.requestJson);
        this.triggers.push(request);
        let sources = this.triggered.get(request.checkpointId);
        if (!sources) this.triggered.set(request.checkpointId, (sources = new Set()));
        sources.add(`${req.vertexId}/${req.subtaskIndex}`);
        const current = this.current(req.jobId);
        const allSources = current.filter((d) => d.inputGates.length === 0);
        if (this.acknowledge && sources.size === allSources.length) {
          setTimeout(() => void this.ackAll(req.jobId, request).catch(() => {}), 5);
        }
        return {};
      }),
      notifyCheckpointComplete: unaryHandler<CheckpointNotification, object>((req) => {
        this.completed.push(req);
        return {};
      }),
      abortCheckpoint: unaryHandler<CheckpointNotification, object>((req) => {
        this.aborted.push(req);
        return {};
      }),
    });
    this.address = await bindServer(server, '127.0.0.1', 0);
    this.server = server;
    const reg = await this.client.registerTaskManager({ taskManagerId: this.taskManagerId, rpcAddress: this.address, numberOfSlots: this.numberOfSlots });
    this.registrationId = reg.registrationId;
    this.heartbeatTimer = setInterval(() => void this.client.heartbeat(this.taskManagerId, this.registrationId).catch(() => {}), reg.heartbeatIntervalMs);
  }

  /** The newest attempt of every subtask of `jobId`. */
  current(jobId: string): TaskDeploymentDescriptor[] {
    const latest = new Map<string, TaskDeploymentDescriptor>();
    for (const d of this.deployments) {
      if (d.jobId !== jobId) continue;
      const key = `${d.vertexId}/${d.subtaskIndex}`;
      if ((latest.get(key)?.attempt ?? -1) < d.attempt) latest.set(key, d);
    }
    return [...latest.values()];
  }

  report(d: TaskDeploymentDescriptor, state: ExecutionState, failureCause?: string): Promise<void> {
    return this.client.updateTaskExecutionState({
      taskManagerId: this.taskManagerId,
      jobId: d.jobId,
      vertexId: d.vertexId,
      subtaskIndex: d.subtaskIndex,
      attempt: d.attempt,
      state,
      failureCause,
    });
  }

  private async ackAll(jobId: string, request: CheckpointRequest): Promise<void> {
    for (const d of this.current(jobId)) {
      const bytes = Buffer.from(`state of ${d.vertexId}/${d.subtaskIndex} at checkpoint ${request.checkpointId}`);
      const path = `op-${d.vertexId}-${d.subtaskIndex}.state`;
      await writeFile(join(request.targetDir, path), bytes);
      const ack: TaskCheckpointAck = {
        checkpointId: request.checkpointId,
        vertexId: d.vertexId,
        subtaskIndex: d.subtaskIndex,
        attempt: d.attempt,
        operators: [{ operatorId: d.vertexId, subtaskIndex: d.subtaskIndex, operatorState: { path, size: bytes.length, checksum: sha256Hex(bytes) } }],
        stats: { alignmentMs: 0, syncMs: 1, asyncMs: 1, stateSize: bytes.length },
      };
      await this.client.acknowledgeCheckpoint(this.taskManagerId, jobId, ack);
    }
  }

  async stop(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.client.close();
    if (this.server) await shutdownServer(this.server, 500);
  }
}
