/**
 * JSON views of jobs in the shapes of Flink's REST API (`/jobs/overview`, `/jobs/:jid`,
 * `/jobs/:jid/exceptions`), built from a JobMaster and the task metrics TaskManagers reported.
 * Field names are Flink's (kebab-case), so dashboards and scripts written for Flink can read them.
 */
import type { JobEdge, JobVertex } from '../../../common/job-graph.js';
import type { ExecutionState } from '../../../runtime/task-deployment.js';
import { NO_WATERMARK } from '../../metrics/task-metrics-snapshot.js';
import { aggregateExecutionState } from '../execution-graph.js';
import type { JobMaster } from '../job-master.js';
import type { WaitingForResources } from '../job-rescaler.js';
import type { ReportedTaskMetrics, TaskMetricsStore } from '../task-metrics-store.js';

const TASK_STATES: readonly ExecutionState[] = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'];

/** Flink's per-state task counts (`tasks` of `/jobs/overview`, `status-counts` of `/jobs/:jid`). */
export type TaskCounts = Record<ExecutionState, number>;

function countStates(states: readonly ExecutionState[]): TaskCounts {
  const counts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as TaskCounts;
  for (const s of states) counts[s]++;
  return counts;
}

/** Flink's lower-case `tasks` object of `/jobs/overview` (with `total`). */
function lowerCaseCounts(counts: TaskCounts): Record<string, number> {
  const out: Record<string, number> = { total: 0 };
  for (const s of TASK_STATES) {
    out[s.toLowerCase()] = counts[s];
    out['total']! += counts[s];
  }
  return out;
}

function duration(start: number, end: number, now: number): number {
  return (end > 0 ? end : now) - start;
}

/**
 * `waiting-for-resources` of `/jobs/overview` and `/jobs/:jid` (Fluss's own field: Flink shows
 * its adaptive scheduler's WaitingForResources state only as the job status CREATED): null, or
 * `{needed, available, since}` while the job waits for the slots of its lower bounds.
 */
function waitingJson(waiting: WaitingForResources | null | undefined): Record<string, number> | null {
  return waiting ? { needed: waiting.needed, available: waiting.available, since: waiting.since } : null;
}

/** One entry of `/jobs/overview`; `waiting`: what the job waits for (job-rescaler.ts). */
export function jobOverview(job: JobMaster, now: number, waiting?: WaitingForResources | null): Record<string, unknown> {
  const end = job.endTimestamp;
  return {
    jid: job.jobId,
    name: job.jobGraph.jobName,
    state: job.status,
    'start-time': job.startTime,
    'end-time': end > 0 ? end : -1,
    duration: duration(job.startTime, end, now),
    'last-modification': Math.max(...Object.values(job.statusTimestamps).map((t) => t ?? 0)),
    tasks: lowerCaseCounts(countStates(job.executions.map((e) => e.state))),
    'waiting-for-resources': waitingJson(waiting),
  };
}

/** Backpressure level from the back-pressured share of time, Flink's thresholds. */
export function backpressureLevel(ratio: number): 'ok' | 'low' | 'high' {
  return ratio <= 0.1 ? 'ok' : ratio <= 0.5 ? 'low' : 'high';
}

/** Sum, max and min over reported subtasks, and Flink's vertex metrics. */
export function vertexMetrics(reported: readonly ReportedTaskMetrics[]): Record<string, number | boolean | string> {
  let readRecords = 0;
  let writeRecords = 0;
  let inRate = 0;
  let outRate = 0;
  let busy = 0;
  let idle = 0;
  let backPressured = 0;
  let watermark = Number.POSITIVE_INFINITY;
  for (const { task } of reported) {
    readRecords += task.numRecordsIn;
    writeRecords += task.numRecordsOut;
    inRate += task.numRecordsInPerSecond;
    outRate += task.numRecordsOutPerSecond;
    // Flink shows the worst subtask: one busy or back-pressured subtask is the bottleneck.
    busy = Math.max(busy, task.busyTimeMsPerSecond);
    idle = Math.max(idle, task.idleTimeMsPerSecond);
    backPressured = Math.max(backPressured, task.backPressuredTimeMsPerSecond);
    watermark = Math.min(watermark, task.currentInputWatermark);
  }
  return {
    'read-bytes': 0,
    'read-bytes-complete': true,
    'write-bytes': 0,
    'write-bytes-complete': true,
    'read-records': readRecords,
    'read-records-complete': true,
    'write-records': writeRecords,
    'write-records-complete': true,
    'read-records-per-second': round(inRate),
    'write-records-per-second': round(outRate),
    'busy-time-ms-per-second': round(busy),
    'idle-time-ms-per-second': round(idle),
    'backpressured-time-ms-per-second': round(backPressured),
    'backpressure-level': backpressureLevel(backPressured / 1000),
    'current-input-watermark': watermark === Number.POSITIVE_INFINITY ? NO_WATERMARK : watermark,
    'reporting-subtasks': reported.length,
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function shipStrategy(edge: JobEdge): string {
  return edge.partitioner === 'hash' ? 'HASH' : edge.partitioner.toUpperCase();
}

/** Flink's `plan`: nodes with their inputs, for drawing the job graph. */
export function jobPlan(job: JobMaster): Record<string, unknown> {
  return {
    jid: job.jobId,
    name: job.jobGraph.jobName,
    type: 'STREAMING',
    nodes: job.jobGraph.vertices.map((v: JobVertex) => ({
      id: v.id,
      parallelism: v.parallelism,
      operator: '',
      operator_strategy: '',
      description: v.operators.map((o) => o.name).join(' -> '),
      inputs: v.inputs.map((e, num) => ({ num, id: e.sourceVertexId, ship_strategy: shipStrategy(e), exchange: 'pipelined_bounded' })),
      optimizer_properties: {},
    })),
  };
}

/** `/jobs/:jid`; `waiting`: what the job waits for (job-rescaler.ts). */
export function jobDetails(job: JobMaster, metrics: TaskMetricsStore, now: number, waiting?: WaitingForResources | null): Record<string, unknown> {
  const end = job.endTimestamp;
  const graph = job.executionGraph;
  const vertices = job.jobGraph.vertices.map((v) => {
    const subtasks = graph.subtasksOf(v.id);
    const reported = [...metrics.ofVertex(job.jobId, v.id).values()];
    return {
      id: v.id,
      name: v.name,
      maxParallelism: v.maxParallelism,
      parallelism: v.parallelism,
      status: aggregateExecutionState(subtasks.map((e) => e.state)),
      'start-time': job.startTime,
      'end-time': end > 0 ? end : -1,
      duration: duration(job.startTime, end, now),
      tasks: countStates(subtasks.map((e) => e.state)),
      metrics: vertexMetrics(reported),
    };
  });
  return {
    jid: job.jobId,
    name: job.jobGraph.jobName,
    isStoppable: false,
    state: job.status,
    'job-type': 'STREAMING',
    'start-time': job.startTime,
    'end-time': end > 0 ? end : -1,
    duration: duration(job.startTime, end, now),
    maxParallelism: Math.max(0, ...job.jobGraph.vertices.map((v) => v.maxParallelism)),
    now,
    timestamps: job.statusTimestamps,
    'failure-cause': job.status === 'FAILED' || job.status === 'FAILING' ? job.currentFailureCause : null,
    'checkpointing-enabled': job.jobGraph.settings.checkpoint.intervalMs > 0,
    'waiting-for-resources': waitingJson(waiting),
    vertices,
    'status-counts': countStates(job.executions.map((e) => e.state)),
    plan: jobPlan(job),
  };
}

/** `/jobs/:jid/exceptions`, Flink 1.15+ shape (with the legacy root fields). */
export function jobExceptions(job: JobMaster): Record<string, unknown> {
  const entries = job.exceptionHistory.entries.map((e) => ({
    exceptionName: e.exceptionName,
    stacktrace: e.message,
    timestamp: e.timestamp,
    taskName: e.taskName,
    location: e.location,
    endpoint: e.location,
    taskManagerId: e.taskManagerId,
    failureLabels: {},
    concurrentExceptions: [],
  }));
  const root = entries[0];
  return {
    'root-exception': root ? root.stacktrace : null,
    timestamp: root ? root.timestamp : null,
    'all-exceptions': entries.map((e) => ({ exception: e.stacktrace, task: e.taskName, location: e.location, timestamp: e.timestamp, taskManagerId: e.taskManagerId })),
    truncated: job.exceptionHistory.truncated,
    exceptionHistory: { entries, truncated: job.exceptionHistory.truncated },
  };
}
