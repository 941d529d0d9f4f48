/**
 * Turns task metric snapshots into Prometheus families with Flink's scope as labels
 * (`job_id`, `job_name`, `task_name`, `vertex_id`, `subtask_index`, `tm_id`, and
 * `operator_name` for operator metrics). The TaskManager's own endpoint and the JobManager's
 * (which re-exposes what TaskManagers reported) render through this one function.
 */
import type { MetricFamily, MetricSample, MetricType } from './metric-family.js';
import type { MetricLabels } from './metric-types.js';
import type { OperatorMetricsSnapshot, TaskMetricsSnapshot } from './task-metrics-snapshot.js';
import type { UserMetricSample } from '../../common/metrics/metric-group.js';

/** Prefix of task-scope metric names (Flink: `flink_taskmanager_job_task_`). */
export const TASK_METRIC_PREFIX = 'fluss_taskmanager_job_task_';
/** Prefix of operator-scope metric names. */
export const OPERATOR_METRIC_PREFIX = 'fluss_taskmanager_job_task_operator_';

type TaskField = Exclude<keyof TaskMetricsSnapshot, 'jobId' | 'jobName' | 'vertexId' | 'taskName' | 'subtaskIndex' | 'attempt' | 'operators' | 'closed'>;
type OperatorField = Exclude<keyof OperatorMetricsSnapshot, 'operatorId' | 'operatorName' | 'userMetrics' | 'pendingRecords'>;

const TASK_METRICS: readonly [TaskField, MetricType, string][] = [
  ['numRecordsIn', 'counter', 'Records the task consumed.'],
  ['numRecordsOut', 'counter', 'Records the task produced.'],
  ['numRecordsInPerSecond', 'gauge', 'Records the task consumed per second (last minute).'],
  ['numRecordsOutPerSecond', 'gauge', 'Records the task produced per second (last minute).'],
  ['currentInputWatermark', 'gauge', 'Input watermark of the task in ms (Long.MIN_VALUE: none yet).'],
  ['busyTimeMsPerSecond', 'gauge', 'Milliseconds per second the task was busy processing.'],
  ['idleTimeMsPerSecond', 'gauge', 'Milliseconds per second the task waited for input.'],
  ['backPressuredTimeMsPerSecond', 'gauge', 'Milliseconds per second the task waited for output credit.'],
  ['localRecoveryHits', 'counter', 'Restores of this attempt from task-local state.'],
  ['localRecoveryMisses', 'counter', 'Restores of this attempt that fell back from task-local state to the checkpoint directory.'],
];

const OPERATOR_METRICS: readonly [OperatorField, MetricType, string][] = [
  ['numRecordsIn', 'counter', 'Records the operator consumed.'],
  ['numRecordsOut', 'counter', 'Records the operator produced.'],
  ['numRecordsInPerSecond', 'gauge', 'Records the operator consumed per second (last minute).'],
  ['numRecordsOutPerSecond', 'gauge', 'Records the operator produced per second (last minute).'],
  ['currentInputWatermark', 'gauge', 'Input watermark of the operator in ms (Long.MIN_VALUE: none yet).'],
];

/** The labels of a task's series. */
export function taskLabels(t: TaskMetricsSnapshot, taskManagerId: string): MetricLabels {
  return {
    job_id: t.jobId,
    job_name: t.jobName,
    task_name: t.taskName,
    vertex_id: t.vertexId,
    subtask_index: String(t.subtaskIndex),
    tm_id: taskManagerId,
  };
}

/** Families of the given tasks, each paired with the TaskManager that runs it. */
export function taskMetricFamilies(tasks: Iterable<{ taskManagerId: string; task: TaskMetricsSnapshot }>): MetricFamily[] {
  const taskSamples = TASK_METRICS.map((): MetricSample[] => []);
  const operatorSamples = OPERATOR_METRICS.map((): MetricSample[] => []);
  const user = new Map<string, MetricFamily>();
  const pending: MetricSample[] = [];
  for (const { taskManagerId, task } of tasks) {
    const labels = taskLabels(task, taskManagerId);
    TASK_METRICS.forEach(([field], i) => taskSamples[i]!.push({ labels, value: task[field] ?? 0 }));
    for (const op of task.operators) {
      const opLabels = { ...labels, operator_name: op.operatorName, operator_id: op.operatorId };
      OPERATOR_METRICS.forEach(([field], i) => operatorSamples[i]!.push({ labels: opLabels, value: op[field] }));
      if (op.pendingRecords !== undefined) pending.push({ labels: opLabels, value: op.pendingRecords });
      for (const m of op.userMetrics ?? []) addUserSample(user, m, opLabels);
    }
  }
  return [
    ...user.values(),
    ...TASK_METRICS.map(([field, type, help], i) => ({ name: `${TASK_METRIC_PREFIX}${field}`, help, type, samples: taskSamples[i]! })),
    ...OPERATOR_METRICS.map(([field, type, help], i) => ({ name: `${OPERATOR_METRIC_PREFIX}${field}`, help, type, samples: operatorSamples[i]! })),
    { name: `${OPERATOR_METRIC_PREFIX}pendingRecords`, help: 'Records a source knows are left to read (its backlog).', type: 'gauge' as const, samples: pending },
  ].filter((f) => f.samples.length > 0);
}

/**
 * A user metric as Flink's Prometheus reporter names it: the operator prefix, the user groups and
 * the name joined by `_` (characters Prometheus refuses become `_`); key/value groups and
 * histogram quantiles become labels.
 */
function addUserSample(families: Map<string, MetricFamily>, m: UserMetricSample, opLabels: MetricLabels): void {
  const name = `${OPERATOR_METRIC_PREFIX}${m.path.join('_')}`.replace(/[^a-zA-Z0-9_:]/g, '_');
  let f = families.get(name);
  if (!f) families.set(name, (f = { name, help: 'User-defined metric (getRuntimeContext().getMetricGroup()).', type: m.type, samples: [] }));
  const labels: Record<string, string> = { ...opLabels };
  for (const [k, v] of Object.entries(m.labels)) labels[k.replace(/[^a-zA-Z0-9_]/g, '_')] = v;
  if (m.quantile !== undefined) labels['quantile'] = m.quantile;
  f.samples.push({ labels, value: m.value });
}
