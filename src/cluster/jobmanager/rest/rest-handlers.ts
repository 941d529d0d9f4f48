/**
 * The REST API's routes and handlers, with Flink's paths: cluster overview, jobs, one job
 * with its graph and vertex metrics, checkpoints, exceptions, TaskManagers, cancel,
 * savepoints, and Prometheus metrics at `/metrics`.
 */
import { z } from 'zod';
import { resolveInsideRoots } from '../../../core/paths.js';
import { VERSION } from '../../../core/version.js';
import { isId } from '../../../core/ids.js';
import { isTerminalJobStatus } from '../../../runtime/task-deployment.js';
import { addVertexMetricsRoutes } from './vertex-metrics-routes.js';
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from '../../metrics/prometheus-exposition.js';
import type { Dispatcher } from '../dispatcher.js';
import { jobManagerMetricFamilies } from '../job-manager-metrics.js';
import type { JobMaster } from '../job-master.js';
import type { ResourceManager } from '../resource-manager.js';
import type { TaskMetricsStore } from '../task-metrics-store.js';
import { backpressureLevel, jobDetails, jobExceptions, jobOverview } from './job-views.js';
import { RestApiError } from './rest-errors.js';
import { RestRouter, type RestRequest, type RestResponse } from './rest-router.js';
import { SavepointTriggers } from './savepoint-triggers.js';
import type { JobRescaler } from '../job-rescaler.js';
import type { JobAutoscaler } from '../autoscaler/job-autoscaler.js';
import { addResourceRequirementsRoutes } from './resource-requirements-routes.js';
import { memoryConfigurationOf } from '../../taskmanager/task-manager-memory.js';

/** What the handlers read and act on. */
export interface RestContext {
  dispatcher: Dispatcher;
  resourceManager: ResourceManager;
  taskMetrics: TaskMetricsStore;
  /**
   * Directories savepoint targets must stay inside (`state.savepoints.dir`,
   * `state.checkpoints.dir`); with none configured, any absolute path is taken as is.
   */
  savepointRoots?: readonly (string | undefined)[];
  /** Rescaling of running jobs; without it the resource-requirements routes are absent. */
  rescaler?: JobRescaler;
  /** The autoscaler, for `GET /jobs/:jid/autoscaler`. */
  autoscaler?: JobAutoscaler;
}

/** The body of `POST /jobs/:jid/savepoints` (Flink's fields). */
const savepointRequestSchema = z.strictObject({
  'target-directory': z.string().max(4096).nullable().optional(),
  'cancel-job': z.boolean().optional(),
  formatType: z.enum(['CANONICAL', 'NATIVE']).optional(),
  triggerId: z.string().max(256).optional(),
});

const ok = (body: unknown, status = 200): RestResponse => ({ status, body });

function jobOf(ctx: RestContext, req: RestRequest): JobMaster {
  const jid = req.params['jid']!;
  if (!isId(jid)) throw new RestApiError(400, `"${jid}" is not a job id: expected 32 lowercase hex digits`);
  const job = ctx.dispatcher.jobMaster(jid);
  if (!job) throw new RestApiError(404, `Job ${jid} not found`);
  return job;
}

/** Parses an optional JSON object body; 400 for anything else. */
function jsonObjectBody(req: RestRequest): Record<string, unknown> {
  if (req.body.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(req.body);
  } catch (err) {
    throw new RestApiError(400, `request body is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RestApiError(400, 'request body must be a JSON object');
  return doc as Record<string, unknown>;
}

/** The router with every REST route. */
export function createRestRouter(ctx: RestContext): RestRouter {
  const { dispatcher, resourceManager, taskMetrics } = ctx;
  const router = new RestRouter();
  const savepointTriggers = new SavepointTriggers();

  router.add('GET', '/overview', () => {
    const jobs = dispatcher.jobMasters();
    const count = (...states: string[]): number => jobs.filter((j) => states.includes(j.status)).length;
    return ok({
      taskmanagers: resourceManager.numberOfTaskManagers,
      'slots-total': resourceManager.slotPool.totalSlots,
      'slots-available': resourceManager.slotPool.freeSlots,
      'jobs-running': jobs.filter((j) => !isTerminalJobStatus(j.status) && j.status !== 'SUSPENDED').length,
      'jobs-finished': count('FINISHED'),
      'jobs-cancelled': count('CANCELED'),
      'jobs-failed': count('FAILED'),
      'fluss-version': VERSION,
    });
  });

  router.add('GET', '/config', () =>
    ok({ 'refresh-interval': 1000, 'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone, 'fluss-version': VERSION, features: { 'web-submit': false, 'web-cancel': true } }),
  );

  router.add('GET', '/jobs', () => ok({ jobs: dispatcher.jobMasters().map((j) => ({ id: j.jobId, status: j.status })) }));

  router.add('GET', '/jobs/overview', () => {
    const now = Date.now();
    return ok({ jobs: dispatcher.jobMasters().map((j) => jobOverview(j, now, ctx.rescaler?.waitingForResources(j.jobId))) });
  });

  router.add('GET', '/jobs/:jid', (req) => {
    const job = jobOf(ctx, req);
    return ok(jobDetails(job, taskMetrics, Date.now(), ctx.rescaler?.waitingForResources(job.jobId)));
  });

  router.add('PATCH', '/jobs/:jid', (req) => {
    const job = jobOf(ctx, req);
    const mode = req.query.get('mode') ?? 'cancel';
    if (mode !== 'cancel') throw new RestApiError(400, `unsupported mode "${mode}": only mode=cancel is available`);
    dispatcher.cancelJob(job.jobId);
    return ok({}, 202);
  });

  router.add('GET', '/jobs/:jid/checkpoints', (req) => ok(jobOf(ctx, req).checkpointStats.statistics()));

  router.add('GET', '/jobs/:jid/checkpoints/details/:cid', (req) => {
    const job = jobOf(ctx, req);
    const details = job.checkpointStats.details(Number(req.params['cid']), job.jobGraph.vertices);
    if (!details) throw new RestApiError(404, `Job ${job.jobId} has no checkpoint ${req.params['cid']} in its checkpoint history`);
    return ok(details);
  });

  router.add('GET', '/jobs/:jid/checkpoints/details/:cid/subtasks/:vid', (req) => {
    const job = jobOf(ctx, req);
    const vertex = job.jobGraph.vertices.find((v) => v.id === req.params['vid']);
    if (!vertex) throw new RestApiError(404, `Job ${job.jobId} has no vertex ${req.params['vid']}`);
    const details = job.checkpointStats.vertexDetails(Number(req.params['cid']), vertex);
    if (!details) throw new RestApiError(404, `Job ${job.jobId} has no checkpoint ${req.params['cid']} in its checkpoint history`);
    return ok(details);
  });

  router.add('GET', '/jobs/:jid/checkpoints/config', (req) => {
    const c = jobOf(ctx, req).jobGraph.settings.checkpoint;
    return ok({
      mode: c.intervalMs > 0 ? c.mode.toLowerCase() : 'disabled',
      interval: c.intervalMs > 0 ? c.intervalMs : Number.MAX_SAFE_INTEGER,
      timeout: c.timeoutMs,
      min_pause: c.minPauseMs,
      max_concurrent: c.maxConcurrent,
      tolerable_failed_checkpoints: c.tolerableFailures,
      externalization: { enabled: c.retention === 'RETAIN_ON_CANCELLATION', delete_on_cancellation: c.retention === 'DELETE_ON_CANCELLATION' },
    });
  });

  router.add('GET', '/jobs/:jid/exceptions', (req) => ok(jobExceptions(jobOf(ctx, req))));

  router.add('GET', '/jobs/:jid/vertices/:vid/backpressure', (req) => {
    const job = jobOf(ctx, req);
    const vid = req.params['vid']!;
    const vertex = job.jobGraph.vertices.find((v) => v.id === vid);
    if (!vertex) throw new RestApiError(404, `Job ${job.jobId} has no vertex ${vid}`);
    const reported = taskMetrics.ofVertex(job.jobId, vid);
    const subtasks = Array.from({ length: vertex.parallelism }, (_, i) => {
      const t = reported.get(i)?.task;
      const ratio = (t?.backPressuredTimeMsPerSecond ?? 0) / 1000;
      return {
        subtask: i,
        backpressureLevel: backpressureLevel(ratio),
        ratio,
        idleRatio: (t?.idleTimeMsPerSecond ?? 0) / 1000,
        busyRatio: (t?.busyTimeMsPerSecond ?? 0) / 1000,
      };
    });
    const worst = Math.max(0, ...subtasks.map((s) => s.ratio));
    return ok({ status: 'ok', backpressureLevel: backpressureLevel(worst), 'end-timestamp': Date.now(), subtasks });
  });

  router.add('POST', '/jobs/:jid/savepoints', (req) => {
    // A malformed body is 400 whatever the job: the request is wrong before it names anything.
    const body = jsonObjectBody(req);
    const job = jobOf(ctx, req);
    const parsed = savepointRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
      throw new RestApiError(400, `invalid savepoint request: "${field}" ${issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message}`);
    }
    const target = parsed.data['target-directory'];
    // Normalised and kept inside the configured roots: a request cannot write elsewhere.
    if (target) resolveInsideRoots(target, ctx.savepointRoots ?? [], '"target-directory"');
    if (isTerminalJobStatus(job.status)) throw new RestApiError(409, `Job ${job.jobId} is ${job.status}: savepoints need a running job`);
    if (job.jobGraph.settings.checkpoint.intervalMs <= 0) {
      throw new RestApiError(409, 'savepoints are not available for this job: checkpointing is not enabled');
    }
    const cancelJob = parsed.data['cancel-job'] ?? false;
    const requestId = savepointTriggers.track(job.jobId, dispatcher.triggerSavepoint(job.jobId, { targetDirectory: target ?? undefined, cancel: cancelJob }), parsed.data.triggerId);
    return ok({ 'request-id': requestId }, 202);
  });

  router.add('GET', '/jobs/:jid/savepoints/:triggerid', (req) => {
    const job = jobOf(ctx, req);
    const status = savepointTriggers.status(job.jobId, req.params['triggerid']!);
    if (!status) throw new RestApiError(404, `Job ${job.jobId} has no savepoint request ${req.params['triggerid']}`);
    return ok(status);
  });

  router.add('GET', '/taskmanagers', () => {
    const now = Date.now();
    return ok({
      taskmanagers: resourceManager.registrations().map((tm) => {
        const slots = resourceManager.slotPool.slotsOfTaskManager(tm.taskManagerId);
        const port = Number(tm.address.slice(tm.address.lastIndexOf(':') + 1));
        return {
          id: tm.taskManagerId,
          path: tm.address,
          address: tm.address,
          dataPort: port,
          slotsNumber: slots.total,
          freeSlots: slots.free,
          lastHeartbeat: tm.lastHeartbeat,
          timeSinceLastHeartbeat: now - tm.lastHeartbeat,
          // Flink's memoryConfiguration names, in bytes; null: left to the host process.
          memoryConfiguration: tm.memory ? memoryConfigurationOf(tm.memory) : null,
        };
      }),
    });
  });

  addVertexMetricsRoutes(router, dispatcher, taskMetrics);
  if (ctx.rescaler) addResourceRequirementsRoutes(router, dispatcher, ctx.rescaler, ctx.autoscaler);

  router.add('GET', '/metrics', () => ({
    status: 200,
    text: formatPrometheus(jobManagerMetricFamilies(dispatcher, resourceManager, taskMetrics)),
    contentType: PROMETHEUS_CONTENT_TYPE,
  }));

  return router;
}
