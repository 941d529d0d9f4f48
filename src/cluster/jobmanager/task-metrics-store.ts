/**
 * The JobManager's copy of task metrics: the latest values each subtask's TaskManager reported
 * with its heartbeats. Kept per job after a task ends, so a finished job still shows its final
 * counts; dropped when the job is forgotten.
 */
import type { TaskManagerMetricsReport, TaskMetricsSnapshot } from '../metrics/task-metrics-snapshot.js';

/** A subtask's latest reported values. */
export interface ReportedTaskMetrics {
  taskManagerId: string;
  /** ms since epoch, as stamped by the TaskManager. */
  reportedAt: number;
  task: TaskMetricsSnapshot;
}

/** Latest task metrics per job and subtask. */
export class TaskMetricsStore {
  private readonly jobs = new Map<string, Map<string, ReportedTaskMetrics>>();

  /** Applies one TaskManager report; values of an older attempt never replace a newer one's. */
  update(report: TaskManagerMetricsReport): void {
    for (const task of report.tasks) {
      let subtasks = this.jobs.get(task.jobId);
      if (!subtasks) this.jobs.set(task.jobId, (subtasks = new Map()));
      const key = `${task.vertexId}/${task.subtaskIndex}`;
      const known = subtasks.get(key);
      if (known && (known.task.attempt > task.attempt || (known.task.attempt === task.attempt && known.reportedAt > report.timestamp))) continue;
      subtasks.set(key, { taskManagerId: report.taskManagerId, reportedAt: report.timestamp, task });
    }
  }

  /** The latest values of every subtask of `jobId` that reported. */
  ofJob(jobId: string): ReportedTaskMetrics[] {
    return [...(this.jobs.get(jobId)?.values() ?? [])];
  }

  /** The latest values of the subtasks of one vertex, by subtask index. */
  ofVertex(jobId: string, vertexId: string): Map<number, ReportedTaskMetrics> {
    const out = new Map<number, ReportedTaskMetrics>();
    for (const r of this.ofJob(jobId)) if (r.task.vertexId === vertexId) out.set(r.task.subtaskIndex, r);
    return out;
  }

  /** Forgets a job. */
  removeJob(jobId: string): void {
    this.jobs.delete(jobId);
  }
}
