/**
 * Task metrics of one TaskManager: the metric groups its tasks update, the JSON its heartbeats
 * carry to the JobManager, and (when `metrics.port` is set) a Prometheus endpoint at
 * `http://<taskmanager.bind-host>:<metrics.port>/metrics`. Separate from the TaskManager class
 * so that wiring it is three calls: start, stop, and `metricsJson()` in the heartbeat.
 */
import type { FlussConfig } from '../../core/config.js';
import type { JobVertex } from '../../common/job-graph.js';
import type { TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import { MetricsHttpServer } from '../metrics/metrics-http-server.js';
import { TaskManagerMetrics } from '../metrics/task-manager-metrics.js';
import type { TaskMetricGroup } from '../metrics/task-metric-group.js';

/** Metrics of the tasks on one TaskManager, reported with heartbeats and over HTTP. */
export class TaskMetricsReporter {
  /** The task metric groups and their collection. */
  readonly metrics: TaskManagerMetrics;
  private server: MetricsHttpServer | undefined;

  constructor(
    private readonly config: FlussConfig,
    taskManagerId: string,
  ) {
    this.metrics = new TaskManagerMetrics(taskManagerId);
  }

  /** Port of the Prometheus endpoint, 0 when disabled. */
  get port(): number {
    return this.server?.port ?? 0;
  }

  /** Starts the Prometheus endpoint when `metrics.port` is not 0. */
  async start(): Promise<void> {
    const port = this.config['metrics.port'];
    if (port === 0 || this.server) return;
    const server = new MetricsHttpServer(() => this.metrics.collect());
    await server.start(this.config['taskmanager.bind-host'], port);
    this.server = server;
  }

  /** A metric group for a subtask being deployed. */
  createTaskMetricGroup(deployment: TaskDeploymentDescriptor, vertex: JobVertex): TaskMetricGroup {
    return this.metrics.createTaskMetricGroup(deployment, vertex);
  }

  /** The subtask of `group` ended (any terminal state). */
  releaseTaskMetricGroup(group: TaskMetricGroup): void {
    this.metrics.releaseTaskMetricGroup(group);
  }

  /** The `metrics_json` of the next heartbeat. */
  metricsJson(): string {
    return this.metrics.reportJson();
  }

  /** Stops the Prometheus endpoint. */
  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }
}
