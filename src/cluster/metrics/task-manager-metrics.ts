/**
 * The metric groups of the tasks on one TaskManager. The TaskExecutor creates a group per
 * deployed subtask and closes it when the task ends; heartbeats carry {@link report}, and the
 * TaskManager's `/metrics` endpoint renders {@link collect}. A closed group is reported once
 * more (so the JobManager sees a task's final counts), then forgotten.
 */
import type { JobVertex } from '../../common/job-graph.js';
import type { TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import { droppedRecordCounts } from '../../connectors/poison-records.js';
import type { MetricFamily } from './metric-family.js';
import { MetricRegistry } from './metric-registry.js';
import { taskMetricFamilies } from './task-metric-families.js';
import { TaskMetricGroup } from './task-metric-group.js';
import type { TaskManagerMetricsReport } from './task-metrics-snapshot.js';
import { releaseUserMetricGroups } from '../../common/metrics/user-metric-registry.js';

/** Task metrics of one TaskManager. */
export class TaskManagerMetrics {
  /** TaskManager-scope metrics (slots, tasks); task metrics are added on collect. */
  readonly registry = new MetricRegistry();
  private readonly groups = new Set<TaskMetricGroup>();

  constructor(
    readonly taskManagerId: string,
    private readonly clock: () => number = Date.now,
  ) {
    const labels = { tm_id: taskManagerId };
    this.registry.gauge('fluss_taskmanager_numRunningTasks', 'Tasks running on this TaskManager.', () => this.runningTasks, labels);
  }

  /** Tasks whose group is open. */
  get runningTasks(): number {
    let n = 0;
    for (const g of this.groups) if (!g.closed) n++;
    return n;
  }

  /** A new group for a deployed subtask of `vertex`. */
  createTaskMetricGroup(deployment: TaskDeploymentDescriptor, vertex: JobVertex): TaskMetricGroup {
    const group = new TaskMetricGroup(
      {
        jobId: deployment.jobId,
        jobName: deployment.jobName,
        vertexId: vertex.id,
        vertexName: vertex.name,
        subtaskIndex: deployment.subtaskIndex,
        parallelism: vertex.parallelism,
        attempt: deployment.attempt,
        operators: vertex.operators.map((o) => ({ operatorId: o.operatorId, name: o.name })),
      },
      this.clock,
    );
    this.groups.add(group);
    return group;
  }

  /** The task of `group` ended; it is reported once more, then dropped. */
  releaseTaskMetricGroup(group: TaskMetricGroup): void {
    group.close();
  }

  /** The report for the next heartbeat; closed groups are dropped once reported. */
  report(): TaskManagerMetricsReport {
    const tasks = [...this.groups].map((g) => g.snapshot());
    for (const g of [...this.groups]) {
      if (!g.closed) continue;
      this.groups.delete(g);
      releaseUserMetricGroups(g.subtaskIdentity);
    }
    return { taskManagerId: this.taskManagerId, timestamp: this.clock(), tasks };
  }

  /** {@link report} as the JSON of `HeartbeatRequest.metrics_json`. */
  reportJson(): string {
    return JSON.stringify(this.report());
  }

  /** Current values for this TaskManager's Prometheus endpoint (open tasks only). */
  collect(): MetricFamily[] {
    const tasks = [...this.groups].filter((g) => !g.closed).map((g) => ({ taskManagerId: this.taskManagerId, task: g.snapshot() }));
    return [...this.registry.collect(), ...taskMetricFamilies(tasks), this.droppedRecords()];
  }

  /** Poison records skipped by the sources of this process, per source name. */
  private droppedRecords(): MetricFamily {
    return {
      name: 'fluss_taskmanager_source_numRecordsDropped',
      help: 'Records a source skipped under the skip poison-record policy.',
      type: 'counter',
      samples: [...droppedRecordCounts()].map(([source, value]) => ({ labels: { tm_id: this.taskManagerId, source_name: source }, value })),
    };
  }
}
