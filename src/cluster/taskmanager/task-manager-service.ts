/**
 * The gRPC TaskManagerService: what the JobManager calls to deploy and cancel subtasks.
 * Payloads arrive as JSON; malformed ones are answered with INVALID_ARGUMENT.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { describeError, InvalidArgumentError } from '../../core/errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import { toServiceError } from '../rpc/grpc-errors.js';
import type { Ack, CancelTaskRequest, SubmitTaskRequest } from '../rpc/messages.js';
import type { TaskExecutor } from './task-executor.js';

/** Handlers of `fluss.v1.TaskManagerService` backed by `executor`. */
export function taskManagerServiceHandlers(executor: TaskExecutor, logger: Logger): grpc.UntypedServiceImplementation {
  return {
    SubmitTask(call: grpc.ServerUnaryCall<SubmitTaskRequest, Ack>, callback: grpc.sendUnaryData<Ack>): void {
      try {
        const deployment = parseDeployment(call.request.deploymentJson);
        const jobGraph = parseJobGraph(call.request.jobGraphJson);
        logger.info(
          { jobId: deployment.jobId, vertex: deployment.vertexId, subtask: deployment.subtaskIndex, attempt: deployment.attempt },
          'Received task deployment',
        );
        executor.submitTask(deployment, jobGraph);
        callback(null, {});
      } catch (err) {
        callback(toServiceError(err));
      }
    },
    CancelTask(call: grpc.ServerUnaryCall<CancelTaskRequest, Ack>, callback: grpc.sendUnaryData<Ack>): void {
      try {
        const r = call.request;
        const known = executor.cancelTask(r);
        logger.info({ jobId: r.jobId, vertex: r.vertexId, subtask: r.subtaskIndex, attempt: r.attempt, known }, 'Cancel task');
        callback(null, {});
      } catch (err) {
        callback(toServiceError(err));
      }
    },
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidArgumentError(`${what} is not valid JSON: ${describeError(err)}`, { cause: err });
  }
}

function parseDeployment(text: string): TaskDeploymentDescriptor {
  const d = parseJson(text, 'deployment_json') as Partial<TaskDeploymentDescriptor> | null;
  if (
    !d ||
    typeof d.jobId !== 'string' ||
    typeof d.vertexId !== 'string' ||
    typeof d.subtaskIndex !== 'number' ||
    typeof d.attempt !== 'number' ||
    typeof d.bundleHash !== 'string' ||
    !Array.isArray(d.programArgs) ||
    !Array.isArray(d.inputGates) ||
    !Array.isArray(d.outputPartitions)
  ) {
    throw new InvalidArgumentError('deployment_json is not a TaskDeploymentDescriptor');
  }
  return d as TaskDeploymentDescriptor;
}

function parseJobGraph(text: string): JobGraph {
  const g = parseJson(text, 'job_graph_json') as Partial<JobGraph> | null;
  if (!g || typeof g.fingerprint !== 'string' || !Array.isArray(g.vertices) || typeof g.settings !== 'object') {
    throw new InvalidArgumentError('job_graph_json is not a JobGraph');
  }
  return g as JobGraph;
}
