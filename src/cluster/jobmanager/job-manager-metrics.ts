/**
 * The JobManager's Prometheus metrics, with Flink's names: cluster-scope
 * (`fluss_jobmanager_numRegisteredTaskManagers`, slots, running jobs), job-scope
 * (`fluss_jobmanager_job_uptime`, `numRestarts`, checkpoint counts and the last checkpoint's
 * duration and size) and the task metrics TaskManagers reported for the jobs that still run.
 */
import { isTerminalJobStatus } from '../../runtime/task-deployment.js';
import type { MetricFamily, MetricSample, MetricType } from '../metrics/metric-family.js';
import { taskMetricFamilies } from '../metrics/task-metric-families.js';
import type { Dispatcher } from './dispatcher.js';
import type { JobMaster } from './job-master.js';
import type { ResourceManager } from './resource-manager.js';
import type { TaskMetricsStore } from './task-metrics-store.js';

const JOB_METRICS: readonly [string, MetricType, string, (job: JobMaster, now: number) => number][] = [
  ['uptime', 'gauge', 'Milliseconds the job has been running since it last (re)started; 0 when not running.', (j, now) =>
    j.status === 'RUNNING' ? now - (j.statusTimestamps.RUNNING ?? j.startTime) : 0],
  ['numRestarts', 'counter', 'Restarts of the job since it was submitted.', (j) => j.numberOfRestarts],
  ['numberOfCompletedCheckpoints', 'counter', 'Completed checkpoints of the job.', (j) => j.checkpointStats.numberOfCompletedCheckpoints],
  ['numberOfFailedCheckpoints', 'counter', 'Failed checkpoints of the job.', (j) => j.checkpointStats.numberOfFailedCheckpoints],
  ['lastCheckpointDuration', 'gauge', 'Milliseconds the last completed checkpoint took (0: none yet).', (j) => j.checkpointStats.lastCompleted?.end_to_end_duration ?? 0],
  ['lastCheckpointSize', 'gauge', 'Bytes of state of the last completed checkpoint (0: none yet).', (j) => j.checkpointStats.lastCompleted?.state_size ?? 0],
];

/** Collects every JobManager metric family. */
export function jobManagerMetricFamilies(dispatcher: Dispatcher, resourceManager: ResourceManager, taskMetrics: TaskMetricsStore, now = Date.now()): MetricFamily[] {
  const jobs = dispatcher.jobMasters();
  const running = jobs.filter((j) => !isTerminalJobStatus(j.status) && j.status !== 'SUSPENDED');
  const cluster = (name: string, help: string, value: number): MetricFamily => ({
    name: `fluss_jobmanager_${name}`,
    help,
    type: 'gauge',
    samples: [{ labels: {}, value }],
  });
  const families: MetricFamily[] = [
    cluster('numRegisteredTaskManagers', 'TaskManagers registered at the JobManager.', resourceManager.numberOfTaskManagers),
    cluster('taskSlotsTotal', 'Slots of all registered TaskManagers.', resourceManager.slotPool.totalSlots),
    cluster('taskSlotsAvailable', 'Free slots.', resourceManager.slotPool.freeSlots),
    cluster('numRunningJobs', 'Jobs that are not terminal.', running.length),
  ];
  for (const [name, type, help, read] of JOB_METRICS) {
    const samples: MetricSample[] = jobs.map((j) => ({ labels: { job_id: j.jobId, job_name: j.jobGraph.jobName }, value: read(j, now) }));
    if (samples.length > 0) families.push({ name: `fluss_jobmanager_job_${name}`, help, type, samples });
  }
  const tasks = running.flatMap((j) => taskMetrics.ofJob(j.jobId).map((r) => ({ taskManagerId: r.taskManagerId, task: r.task })));
  families.push(...taskMetricFamilies(tasks));
  return families;
}
