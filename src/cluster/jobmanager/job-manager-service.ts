/**
 * The server side of `fluss.v1.JobManagerService`: turns requests into calls on the Dispatcher
 * and the ResourceManager. Every handler validates what arrives against the zod schemas of
 * rpc-schemas.ts (sizes bounded by {@link PayloadLimits}) and answers with a typed status;
 * nothing a client sends can crash the daemon. The auth token is checked before any handler
 * runs (rpc-auth.ts).
 */
import { withJobMetrics } from './job-info-metrics.js';
import type * as grpc from '@grpc/grpc-js';
import { describeError, InvalidArgumentError } from '../../core/errors.js';
import { DEFAULT_PAYLOAD_LIMITS, type PayloadLimits } from '../rpc/payload-limits.js';
import { parseRequest, rpcSchemas } from '../rpc/rpc-schemas.js';
import { parseTaskManagerMetricsReport } from '../metrics/task-metrics-snapshot.js';
import type { Logger } from '../../core/logger.js';
import { isTerminalJobStatus } from '../../runtime/task-deployment.js';
import { toServiceError } from '../../core/rpc/grpc-errors.js';
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
import { checkpointServiceHandlers, submissionRestoreOf } from './checkpoint-service-handlers.js';
import type { Dispatcher } from './dispatcher.js';
import type { ResourceManager } from './resource-manager.js';
import type { TaskMetricsStore } from './task-metrics-store.js';

/** The handlers of JobManagerService, keyed as grpc-js expects them. */
export function jobManagerServiceHandlers(
  dispatcher: Dispatcher,
  resourceManager: ResourceManager,
  logger: Logger,
  taskMetrics?: TaskMetricsStore,
  limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
): grpc.UntypedServiceImplementation {
  const log = logger.child({ component: 'JobManager' });
  const schemas = rpcSchemas(limits);
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
    submitJob: unaryHandler<SubmitJobRequest, SubmitJobResponse>(async (raw) => {
      const req = parseRequest(schemas.submitJob, raw, 'SubmitJobRequest');
      const restore = submissionRestoreOf(raw, limits);
      return {
        jobId: await dispatcher.submitJob({
          bundle: Buffer.from(req.bundle.buffer, req.bundle.byteOffset, req.bundle.byteLength),
          jobGraphJson: req.jobGraphJson,
          programArgs: req.programArgs,
          jobId: req.jobId,
          ...restore,
        }),
      };
    }),

    listJobs: unaryHandler<ListJobsRequest, ListJobsResponse>((raw) => {
      const req = parseRequest(schemas.listJobs, raw, 'ListJobsRequest');
      return { jobs: dispatcher.listJobs(req.includeTerminated) };
    }),

    getJob: unaryHandler<GetJobRequest, JobInfo>((raw) => {
      const { jobId } = parseRequest(schemas.jobRequest, raw, 'GetJobRequest');
      return withJobMetrics(dispatcher.getJob(jobId), dispatcher.jobMaster(jobId), taskMetrics);
    }),

    cancelJob: unaryHandler<CancelJobRequest, CancelJobResponse>((raw) => {
      dispatcher.cancelJob(parseRequest(schemas.jobRequest, raw, 'CancelJobRequest').jobId);
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
        const { jobId } = parseRequest(schemas.jobRequest, call.request, 'GetJobRequest');
        unsubscribe = dispatcher.watchJob(jobId, (info) => {
          if (ended) return;
          call.write(info);
          if (isTerminalJobStatus(info.status) || info.status === 'SUSPENDED') queueMicrotask(end);
        });
      } catch (err) {
        ended = true;
        call.emit('error', toServiceError(err));
      }
    },

    registerTaskManager: unaryHandler<RegisterTaskManagerRequest, RegisterTaskManagerResponse>((raw) =>
      resourceManager.registerTaskManager(parseRequest(schemas.registerTaskManager, raw, 'RegisterTaskManagerRequest')),
    ),

    heartbeat: unaryHandler<HeartbeatRequest, HeartbeatResponse>((raw) => {
      const req = parseRequest(schemas.heartbeat, raw, 'HeartbeatRequest');
      resourceManager.heartbeat(req.taskManagerId, req.registrationId);
      acceptMetrics(req.taskManagerId, req.metricsJson);
      // Task-local state of a job that ended is removed by its TaskManager.
      const endedJobIds = (req.localStateJobIds ?? []).filter((id) => {
        const job = dispatcher.jobMaster(id);
        return job !== undefined && isTerminalJobStatus(job.status);
      });
      return { endedJobIds };
    }),

    updateTaskExecutionState: unaryHandler<TaskExecutionStateUpdate, Ack>((raw) => {
      const req = parseRequest(schemas.updateTaskExecutionState, raw, 'TaskExecutionStateUpdate');
      dispatcher.updateTaskExecutionState(req.jobId, {
        taskManagerId: req.taskManagerId,
        vertexId: req.vertexId,
        subtaskIndex: req.subtaskIndex,
        attempt: req.attempt,
        state: req.state,
        failureCause: req.failureCause.split(/\r?\n/, 1)[0] ?? '',
        endOfInput: req.endOfInput === true,
      });
      return {};
    }),

    fetchBundle: unaryHandler<FetchBundleRequest, FetchBundleResponse>(async (raw) => {
      const { bundleHash } = parseRequest(schemas.fetchBundle, raw, 'FetchBundleRequest');
      const bundle = await dispatcher.fetchBundle(bundleHash);
      log.debug({ bundleHash, bytes: bundle.length }, 'bundle fetched');
      return { bundle };
    }),

    ...checkpointServiceHandlers(dispatcher, logger, limits),
  };
}
