/**
 * The server side of `fluss.v1.JobManagerService`: turns requests into calls on the Dispatcher
 * and the ResourceManager. Every handler validates what arrives and answers with a typed
 * status; nothing a client sends can crash the daemon.
 */
import type * as grpc from '@grpc/grpc-js';
import { describeError, InvalidArgumentError } from '../../core/errors.js';
import { parseTaskManagerMetricsReport } from '../metrics/task-metrics-snapshot.js';
import type { Logger } from '../../core/logger.js';
import { isTerminalJobStatus } from '../../runtime/task-deployment.js';
import { toServiceError } from '../rpc/grpc-errors.js';
import { unaryHandler } from '../rpc/grpc-server.js';
import type {
  Ack,
  CancelJobRequest,
  CancelJobResponse,
  FetchBundleRequest,
  FetchBundleResponse,
  GetJobRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  JobInfo,
  ListJobsRequest,
  ListJobsResponse,
  RegisterTaskManagerRequest,
  RegisterTaskManagerResponse,
  SubmitJobRequest,
  SubmitJobResponse,
  TaskExecutionStateUpdate,
} from '../rpc/messages.js';
import type { Dispatcher } from './dispatcher.js';
import type { ResourceManager } from './resource-manager.js';
import type { TaskMetricsStore } from './task-metrics-store.js';

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(`${field} is required`);
  return value;
}

/** The handlers of JobManagerService, keyed as grpc-js expects them. */
export function jobManagerServiceHandlers(
  dispatcher: Dispatcher,
  resourceManager: ResourceManager,
  logger: Logger,
  taskMetrics?: TaskMetricsStore,
): grpc.UntypedServiceImplementation {
  const log = logger.child({ component: 'JobManager' });
  let lastMetricsWarning = 0;
  /** Stores a heartbeat's task metrics; a bad report is logged (at most every 10 s), never fatal to the heartbeat. */
  const acceptMetrics = (taskManagerId: string, json: string): void => {
    if (!taskMetrics || !json) return;
    try {
      const report = parseTaskManagerMetricsReport(json);
      if (report.taskManagerId !== taskManagerId) throw new InvalidArgumentError(`metrics_json is from TaskManager ${report.taskManagerId}, not ${taskManagerId}`);
      taskMetrics.update(report);
    } catch (err) {
      if (Date.now() - lastMetricsWarning > 10_000) {
        lastMetricsWarning = Date.now();
        log.warn({ taskManagerId, err: describeError(err) }, 'ignoring task metrics of a heartbeat');
      }
    }
  };
  return {
    submitJob: unaryHandler<SubmitJobRequest, SubmitJobResponse>(async (req) => ({
      jobId: await dispatcher.submitJob({
        bundle: req.bundle,
        jobGraphJson: req.jobGraphJson,
        programArgs: req.programArgs ?? [],
        jobId: req.jobId ?? '',
      }),
    })),

    listJobs: unaryHandler<ListJobsRequest, ListJobsResponse>((req) => ({ jobs: dispatcher.listJobs(req.includeTerminated === true) })),

    getJob: unaryHandler<GetJobRequest, JobInfo>((req) => dispatcher.getJob(requireString(req.jobId, 'job_id'))),

    cancelJob: unaryHandler<CancelJobRequest, CancelJobResponse>((req) => {
      dispatcher.cancelJob(requireString(req.jobId, 'job_id'));
      return {};
    }),

    watchJob: (call: grpc.ServerWritableStream<GetJobRequest, JobInfo>) => {
      let unsubscribe: (() => void) | undefined;
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        unsubscribe?.();
        call.end();
      };
      call.on('cancelled', () => {
        ended = true;
        unsubscribe?.();
      });
      try {
        unsubscribe = dispatcher.watchJob(requireString(call.request.jobId, 'job_id'), (info) => {
          if (ended) return;
          call.write(info);
          if (isTerminalJobStatus(info.status) || info.status === 'SUSPENDED') queueMicrotask(end);
        });
      } catch (err) {
        ended = true;
        call.emit('error', toServiceError(err));
      }
    },

    registerTaskManager: unaryHandler<RegisterTaskManagerRequest, RegisterTaskManagerResponse>((req) =>
      resourceManager.registerTaskManager({
        taskManagerId: requireString(req.taskManagerId, 'task_manager_id'),
        rpcAddress: requireString(req.rpcAddress, 'rpc_address'),
        numberOfSlots: req.numberOfSlots,
        runningTasks: req.runningTasks ?? [],
      }),
    ),

    heartbeat: unaryHandler<HeartbeatRequest, HeartbeatResponse>((req) => {
      const taskManagerId = requireString(req.taskManagerId, 'task_manager_id');
      resourceManager.heartbeat(taskManagerId, req.registrationId ?? '');
      acceptMetrics(taskManagerId, req.metricsJson ?? '');
      return {};
    }),

    updateTaskExecutionState: unaryHandler<TaskExecutionStateUpdate, Ack>((req) => {
      dispatcher.updateTaskExecutionState(requireString(req.jobId, 'job_id'), {
        taskManagerId: requireString(req.taskManagerId, 'task_manager_id'),
        vertexId: requireString(req.vertexId, 'vertex_id'),
        subtaskIndex: req.subtaskIndex,
        attempt: req.attempt,
        state: req.state,
        failureCause: (req.failureCause ?? '').split(/\r?\n/, 1)[0] ?? '',
      });
      return {};
    }),

    fetchBundle: unaryHandler<FetchBundleRequest, FetchBundleResponse>(async (req) => {
      const bundle = await dispatcher.fetchBundle(requireString(req.bundleHash, 'bundle_hash'));
      log.debug({ bundleHash: req.bundleHash, bytes: bundle.length }, 'bundle fetched');
      return { bundle };
    }),
  };
}
