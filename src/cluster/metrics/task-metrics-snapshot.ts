/**
 * The JSON a TaskManager ships with each heartbeat (`HeartbeatRequest.metrics_json`): the
 * current metric values of its tasks. Rates are computed on the TaskManager, where the events
 * happen, so the JobManager only stores and shows them. Parsing is defensive: a malformed
 * report is refused as a whole with the reason, never half-applied.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { UserMetricSample } from '../../common/metrics/metric-group.js';
import type { JobSubtaskAttempt } from '../../common/subtask-attempt.js';

/** Flink's value for "no watermark yet" (Long.MIN_VALUE). */
export const NO_WATERMARK = -9223372036854775808;

/** Metric values of one operator of a task's chain. */
export interface OperatorMetricsSnapshot {
  operatorId: string;
  operatorName: string;
  numRecordsIn: number;
  numRecordsOut: number;
  numRecordsInPerSecond: number;
  numRecordsOutPerSecond: number;
  currentInputWatermark: number;
  /** A source's backlog (Flink's `pendingRecords`): records its reader knows are left; absent when unknown. */
  pendingRecords?: number;
  /** Metrics the operator's functions registered (`getRuntimeContext().getMetricGroup()`). */
  userMetrics?: UserMetricSample[];
}

/** Metric values of one subtask attempt. */
export interface TaskMetricsSnapshot extends JobSubtaskAttempt {
  jobName: string;
  /** "Map (2/4)". */
  taskName: string;
  numRecordsIn: number;
  numRecordsOut: number;
  numRecordsInPerSecond: number;
  numRecordsOutPerSecond: number;
  currentInputWatermark: number;
  busyTimeMsPerSecond: number;
  idleTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
  /** Restores of this attempt from task-local state (0 or 1; absent: reported by an older TaskManager). */
  localRecoveryHits?: number;
  /** Restores of this attempt that fell back from task-local state to the checkpoint directory. */
  localRecoveryMisses?: number;
  operators: OperatorMetricsSnapshot[];
  /** True for the last report of a task that ended. */
  closed: boolean;
}

/** One TaskManager's report. */
export interface TaskManagerMetricsReport {
  taskManagerId: string;
  /** ms since epoch, when the values were taken. */
  timestamp: number;
  tasks: TaskMetricsSnapshot[];
}

const TASK_NUMBERS = [
  'subtaskIndex', 'attempt', 'numRecordsIn', 'numRecordsOut', 'numRecordsInPerSecond', 'numRecordsOutPerSecond',
  'currentInputWatermark', 'busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond',
] as const;
const TASK_STRINGS = ['jobId', 'jobName', 'vertexId', 'taskName'] as const;
const OPERATOR_NUMBERS = ['numRecordsIn', 'numRecordsOut', 'numRecordsInPerSecond', 'numRecordsOutPerSecond', 'currentInputWatermark'] as const;
const OPERATOR_STRINGS = ['operatorId', 'operatorName'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function check(obj: Record<string, unknown>, numbers: readonly string[], strings: readonly string[], where: string): void {
  for (const k of numbers) if (typeof obj[k] !== 'number') throw new InvalidArgumentError(`metrics_json: ${where}.${k} must be a number`);
  for (const k of strings) if (typeof obj[k] !== 'string') throw new InvalidArgumentError(`metrics_json: ${where}.${k} must be a string`);
}

/** Parses and validates a report; InvalidArgumentError names the first bad field. */
export function parseTaskManagerMetricsReport(json: string): TaskManagerMetricsReport {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    throw new InvalidArgumentError(`metrics_json is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (!isRecord(doc) || typeof doc['taskManagerId'] !== 'string' || typeof doc['timestamp'] !== 'number' || !Array.isArray(doc['tasks'])) {
    throw new InvalidArgumentError('metrics_json must be {taskManagerId, timestamp, tasks: [...]}');
  }
  doc['tasks'].forEach((t: unknown, i: number) => {
    if (!isRecord(t)) throw new InvalidArgumentError(`metrics_json: tasks[${i}] must be an object`);
    check(t, TASK_NUMBERS, TASK_STRINGS, `tasks[${i}]`);
    for (const k of ['localRecoveryHits', 'localRecoveryMisses']) {
      if (t[k] !== undefined && typeof t[k] !== 'number') throw new InvalidArgumentError(`metrics_json: tasks[${i}].${k} must be a number`);
    }
    if (typeof t['closed'] !== 'boolean') throw new InvalidArgumentError(`metrics_json: tasks[${i}].closed must be a boolean`);
    if (!Array.isArray(t['operators'])) throw new InvalidArgumentError(`metrics_json: tasks[${i}].operators must be an array`);
    t['operators'].forEach((o: unknown, j: number) => {
      if (!isRecord(o)) throw new InvalidArgumentError(`metrics_json: tasks[${i}].operators[${j}] must be an object`);
      check(o, OPERATOR_NUMBERS, OPERATOR_STRINGS, `tasks[${i}].operators[${j}]`);
      if (o['pendingRecords'] !== undefined && typeof o['pendingRecords'] !== 'number') throw new InvalidArgumentError(`metrics_json: tasks[${i}].operators[${j}].pendingRecords must be a number`);
      if (o['userMetrics'] !== undefined) checkUserMetrics(o['userMetrics'], `tasks[${i}].operators[${j}].userMetrics`);
    });
  });
  return doc as unknown as TaskManagerMetricsReport;
}

function checkUserMetrics(samples: unknown, where: string): void {
  if (!Array.isArray(samples)) throw new InvalidArgumentError(`metrics_json: ${where} must be an array`);
  samples.forEach((m: unknown, k: number) => {
    const ok =
      isRecord(m) &&
      Array.isArray(m['path']) &&
      m['path'].every((p) => typeof p === 'string') &&
      isRecord(m['labels']) &&
      Object.values(m['labels']).every((v) => typeof v === 'string') &&
      (m['type'] === 'counter' || m['type'] === 'gauge') &&
      typeof m['value'] === 'number' &&
      (m['quantile'] === undefined || typeof m['quantile'] === 'string');
    if (!ok) throw new InvalidArgumentError(`metrics_json: ${where}[${k}] must be {path, labels, type, value[, quantile]}`);
  });
}
