/**
 * The gRPC TaskManagerService: what the JobManager calls to deploy and cancel subtasks, and to
 * trigger, complete and abort checkpoints.
 * Payloads arrive as JSON and are validated before the executor sees them: the
 * TaskDeploymentDescriptor against a zod schema of src/runtime/task-deployment.ts, the JobGraph
 * with the JobManager's own validation, and the deployment against the graph (its vertex
 * exists, its subtask index is below the vertex parallelism, gates and partitions match the
 * vertex's edges). Malformed requests get INVALID_ARGUMENT naming the field; none takes a slot.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import { validateJobGraph } from '../jobmanager/job-graph-validation.js';
import { unaryHandler } from '../rpc/grpc-server.js';
import { checkpointRpcSchemas, parseCheckpointRequest } from '../rpc/checkpoint-rpc-schemas.js';
import type { Ack, CancelTaskRequest, CheckpointNotification, SubmitTaskRequest, TriggerCheckpointRequest } from '../rpc/messages.js';
import { DEFAULT_PAYLOAD_LIMITS, type PayloadLimits } from '../rpc/payload-limits.js';
import { addressSchema, describeIssue, jobIdSchema, nameSchema, parseJsonField, parseRequest, rpcSchemas, sha256Schema } from '../rpc/rpc-schemas.js';
import type { TaskExecutor } from './task-executor.js';

const count = (max: number) => z.number().int().min(0).max(max);

/** The shape of a {@link TaskDeploymentDescriptor}. */
export const taskDeploymentSchema = z.looseObject({
  jobId: jobIdSchema,
  jobName: z.string().max(4096),
  vertexId: nameSchema,
  subtaskIndex: count(32767),
  attempt: count(Number.MAX_SAFE_INTEGER),
  bundleHash: sha256Schema,
  programArgs: z.array(z.string().max(64 * 1024)).max(4096),
  inputGates: z
    .array(
      z
        .array(
          z.looseObject({
            partitionId: z.string().min(1).max(512),
            subpartition: count(32767),
            producerTaskManagerId: nameSchema,
            producerAddress: addressSchema,
          }),
        )
        .max(32768),
    )
    .max(10_000),
  outputPartitions: z.array(z.looseObject({ partitionId: z.string().min(1).max(512), numberOfSubpartitions: z.number().int().min(1).max(32768) })).max(10_000),
});

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/** Parses and validates deployment JSON; INVALID_ARGUMENT naming the first bad field. */
export function parseDeployment(text: string): TaskDeploymentDescriptor {
  const result = taskDeploymentSchema.safeParse(parseJsonField(text, 'deployment_json'));
  if (!result.success) throw new InvalidArgumentError(`invalid deployment_json: ${describeIssue(result.error, fieldPath)}`);
  return result.data as unknown as TaskDeploymentDescriptor;
}

/** The deployment fits the graph it claims to be part of. */
function checkAgainstGraph(d: TaskDeploymentDescriptor, graph: JobGraph): void {
  const vertex = graph.vertices.find((v) => v.id === d.vertexId);
  if (!vertex) throw new InvalidArgumentError(`invalid deployment_json: vertexId ${d.vertexId} is not a vertex of the job graph`);
  if (d.subtaskIndex >= vertex.parallelism) {
    throw new InvalidArgumentError(`invalid deployment_json: subtaskIndex ${d.subtaskIndex} is not below the parallelism ${vertex.parallelism} of ${vertex.name}`);
  }
  if (d.inputGates.length !== vertex.inputs.length) {
    throw new InvalidArgumentError(`invalid deployment_json: ${d.inputGates.length} input gates for the ${vertex.inputs.length} inputs of ${vertex.name}`);
  }
  if (d.outputPartitions.length !== vertex.outputs.length) {
    throw new InvalidArgumentError(`invalid deployment_json: ${d.outputPartitions.length} output partitions for the ${vertex.outputs.length} outputs of ${vertex.name}`);
  }
  for (const [i, p] of d.outputPartitions.entries()) {
    if (!p.partitionId.startsWith(`${d.jobId}/`)) throw new InvalidArgumentError(`invalid deployment_json: outputPartitions[${i}].partitionId does not belong to job ${d.jobId}`);
  }
}

/** Handlers of `fluss.v1.TaskManagerService` backed by `executor`. */
export function taskManagerServiceHandlers(executor: TaskExecutor, logger: Logger, limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS): grpc.UntypedServiceImplementation {
  const schemas = rpcSchemas(limits);
  const checkpointSchemas = checkpointRpcSchemas(limits);
  /** Notifications address one subtask attempt, or every task of the job when `vertexId` is empty. */
  const notify = (what: 'notifyCheckpointComplete' | 'abortCheckpoint', name: string) =>
    unaryHandler<CheckpointNotification, Ack>((raw) => {
      const r = parseRequest(checkpointSchemas.checkpointNotification, raw, 'CheckpointNotification');
      const target = r.vertexId === '' ? undefined : { vertexId: r.vertexId, subtaskIndex: r.subtaskIndex, attempt: r.attempt };
      const tasks = executor[what](r.jobId, r.checkpointId, target);
      logger.debug({ jobId: r.jobId, checkpointId: r.checkpointId, tasks }, name);
      return {};
    });
  return {
    // Answers OK once the task has it queued (or declined it to the JobManager); the ack comes later.
    TriggerCheckpoint: unaryHandler<TriggerCheckpointRequest, Ack>((raw) => {
      const r = parseRequest(checkpointSchemas.triggerCheckpoint, raw, 'TriggerCheckpointRequest');
      const request = parseCheckpointRequest(r.requestJson);
      executor.triggerCheckpoint({ jobId: r.jobId, vertexId: r.vertexId, subtaskIndex: r.subtaskIndex, attempt: r.attempt }, request);
      return {};
    }),
    NotifyCheckpointComplete: notify('notifyCheckpointComplete', 'Checkpoint complete'),
    AbortCheckpoint: notify('abortCheckpoint', 'Checkpoint aborted'),
    SubmitTask: unaryHandler<SubmitTaskRequest, Ack>((raw) => {
      const req = parseRequest(schemas.submitTask, raw, 'SubmitTaskRequest');
      const deployment = parseDeployment(req.deploymentJson);
      const jobGraph = validateJobGraph(parseJsonField(req.jobGraphJson, 'job_graph_json'));
      checkAgainstGraph(deployment, jobGraph);
      logger.info(
        { jobId: deployment.jobId, vertex: deployment.vertexId, subtask: deployment.subtaskIndex, attempt: deployment.attempt },
        'Received task deployment',
      );
      executor.submitTask(deployment, jobGraph);
      return {};
    }),
    CancelTask: unaryHandler<CancelTaskRequest, Ack>((raw) => {
      const r = parseRequest(schemas.cancelTask, raw, 'CancelTaskRequest');
      const known = executor.cancelTask(r);
      logger.info({ jobId: r.jobId, vertex: r.vertexId, subtask: r.subtaskIndex, attempt: r.attempt, known }, 'Cancel task');
      return {};
    }),
  };
}
