/**
 * The built-in autoscaler (`jobmanager.autoscaler.enabled: true`): every
 * `jobmanager.autoscaler.interval` it samples the task metrics the TaskManagers report with
 * their heartbeats (records in/out per second, busy and back-pressured time per subtask) of
 * every running job, averages them over `jobmanager.autoscaler.metrics.window` — leaving out the
 * `jobmanager.autoscaler.stabilization.interval` after a start or rescale, which is also the
 * cooldown between two rescales — and evaluates each vertex (scaling-algorithm.ts). A vertex
 * scales up at once; a scale-down must be recommended for `jobmanager.autoscaler.scale-down.interval`
 * first. Decisions are logged with their inputs and kept for `GET /jobs/:jid/autoscaler`.
 *
 * A job's own configuration (`env.configure({...})`, job-configuration.ts) may set these keys —
 * `jobmanager.autoscaler.enabled` included — for itself, over the cluster's: an autoscaler
 * disabled cluster-wide still scales the jobs that enable it, and a job disabling it is left
 * alone. The sampling interval stays the cluster's.
 */
import type { FlussConfig } from '../../../core/config.js';
import { describeError } from '../../../core/errors.js';
import { parseJobConfiguration } from '../../../core/job-configuration.js';
import type { Logger } from '../../../core/logger.js';
import type { Dispatcher } from '../dispatcher.js';
import type { JobMaster } from '../job-master.js';
import type { JobRescaler } from '../job-rescaler.js';
import type { TaskMetricsStore } from '../task-metrics-store.js';
import { AutoscalerJobState, type AutoscalerView } from './autoscaler-state.js';
import { evaluateVertices, type ScalingOptions, type VertexRates } from './scaling-algorithm.js';

/** The autoscaler's options, from the configuration. */
export interface AutoscalerOptions extends ScalingOptions {
  enabled: boolean;
  intervalMs: number;
  windowMs: number;
  stabilizationMs: number;
  scaleDownIntervalMs: number;
}

/** The autoscaler options of `config`. */
export function autoscalerOptionsOf(config: FlussConfig): AutoscalerOptions {
  return {
    enabled: config['jobmanager.autoscaler.enabled'],
    intervalMs: Math.max(100, config['jobmanager.autoscaler.interval']),
    windowMs: config['jobmanager.autoscaler.metrics.window'],
    stabilizationMs: config['jobmanager.autoscaler.stabilization.interval'],
    targetUtilization: config['jobmanager.autoscaler.target.utilization'],
    utilizationBoundary: config['jobmanager.autoscaler.target.utilization.boundary'],
    scaleDownMaxFactor: config['jobmanager.autoscaler.scale-down.max-factor'],
    scaleDownIntervalMs: config['jobmanager.autoscaler.scale-down.interval'],
    catchUpDurationMs: config['jobmanager.autoscaler.catch-up.duration'],
  };
}

/** Window-averaged rates per vertex of one sample. */
type Sample = { at: number; rates: Map<string, VertexRates> };

/** Autoscales the jobs of one JobManager. */
export class JobAutoscaler {
  private readonly states = new Map<string, AutoscalerJobState>();
  /** Per job: the cluster's options with the job's own configuration over them. */
  private readonly jobOptions = new Map<string, AutoscalerOptions>();
  /** The cluster's options (`jobmanager.autoscaler.*`). */
  readonly options: AutoscalerOptions;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(
    private readonly config: FlussConfig,
    private readonly dispatcher: Dispatcher,
    private readonly rescaler: JobRescaler,
    private readonly taskMetrics: TaskMetricsStore,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'Autoscaler' });
    this.options = autoscalerOptionsOf(config);
    dispatcher.onJobRemoved((jobId) => {
      this.states.delete(jobId);
      this.jobOptions.delete(jobId);
    });
  }

  /** The options that apply to `job`: the cluster's, with the job's own configuration over them. */
  optionsOf(job: JobMaster): AutoscalerOptions {
    let options = this.jobOptions.get(job.jobId);
    if (!options) {
      const own = job.jobGraph.settings.configuration;
      // Validated at submission: a job graph with a bad key never gets here.
      options = own ? autoscalerOptionsOf({ ...this.config, ...parseJobConfiguration(own) }) : this.options;
      this.jobOptions.set(job.jobId, options);
    }
    return options;
  }

  /** Starts sampling; jobs are looked at only when the autoscaler is enabled for them (cluster-wide or by their own configuration). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops (the JobManager stops). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A job was created: the autoscaler may move each vertex between 1 and its max parallelism (a PUT narrows that). */
  jobCreated(job: JobMaster): void {
    if (!this.optionsOf(job).enabled) return;
    this.rescaler.makeAutoscaled(job.jobId, new Map(job.jobGraph.vertices.map((v) => [v.id, { lowerBound: 1, upperBound: v.maxParallelism }] as const)));
  }

  /** What `GET /jobs/:jid/autoscaler` shows of a job. */
  view(job: JobMaster): AutoscalerView {
    return this.stateOf(job).view(this.optionsOf(job), job);
  }

  private stateOf(job: JobMaster): AutoscalerJobState {
    let state = this.states.get(job.jobId);
    if (!state) this.states.set(job.jobId, (state = new AutoscalerJobState()));
    return state;
  }

  private tick(): void {
    const now = Date.now();
    for (const job of this.dispatcher.jobMasters()) {
      if (job.status !== 'RUNNING') continue;
      const options = this.optionsOf(job);
      if (!options.enabled) continue;
      const state = this.stateOf(job);
      state.recordParallelism(job, now);
      if (this.rescaler.isRescaling(job.jobId) || !job.executions.every((e) => e.state === 'RUNNING')) continue;
      const settledSince = Math.max(this.rescaler.lastRescaleAt(job.jobId) ?? job.startTime, job.startTime) + options.stabilizationMs;
      const sample = this.sample(job, now);
      state.addSample(sample, Math.max(settledSince, now - options.windowMs));
      if (now - settledSince < options.windowMs || state.samples.length < 2) continue;
      this.decide(job, state, now, options);
    }
  }

  /** The current rates of every vertex whose subtasks of the current attempt all reported. */
  private sample(job: JobMaster, now: number): Sample {
    const rates = new Map<string, VertexRates>();
    for (const v of job.jobGraph.vertices) {
      const reported = this.taskMetrics.ofVertex(job.jobId, v.id);
      const subtasks = job.executionGraph.subtasksOf(v.id);
      let inRate = 0;
      let outRate = 0;
      let busy = 0;
      let bp = 0;
      // Summed over subtasks; undefined as soon as one does not report it.
      let pending: number | undefined = 0;
      let complete = true;
      for (const e of subtasks) {
        const r = reported.get(e.subtaskIndex);
        if (!r || r.task.attempt !== e.attempt) {
          complete = false;
          break;
        }
        inRate += r.task.numRecordsInPerSecond;
        outRate += r.task.numRecordsOutPerSecond;
        busy += r.task.busyTimeMsPerSecond / 1000;
        bp += r.task.backPressuredTimeMsPerSecond / 1000;
        const p = r.task.operators[0]?.pendingRecords;
        pending = pending === undefined || p === undefined ? undefined : pending + p;
      }
      if (complete && subtasks.length > 0) {
        const backlog = v.inputs.length === 0 && pending !== undefined ? { pendingRecords: pending } : {};
        rates.set(v.id, { parallelism: subtasks.length, inRate, outRate, busy: busy / subtasks.length, backPressured: bp / subtasks.length, ...backlog });
      }
    }
    return { at: now, rates };
  }

  private decide(job: JobMaster, state: AutoscalerJobState, now: number, options: AutoscalerOptions): void {
    const evaluations = evaluateVertices(job.jobGraph, state.averageRates(), this.rescaler.requirementsOf(job.jobId), options);
    const desired = new Map<string, number>();
    for (const ev of evaluations) {
      if (ev.recommended > ev.parallelism) {
        state.scaleDownSince.delete(ev.vertexId);
        desired.set(ev.vertexId, ev.recommended);
      } else if (ev.recommended < ev.parallelism) {
        const since = state.scaleDownSince.get(ev.vertexId) ?? now;
        state.scaleDownSince.set(ev.vertexId, since);
        if (now - since >= options.scaleDownIntervalMs) desired.set(ev.vertexId, ev.recommended);
      } else {
        state.scaleDownSince.delete(ev.vertexId);
      }
    }
    state.lastEvaluation = { timestamp: now, vertices: evaluations };
    if (desired.size === 0) return;
    const chosen = evaluations.filter((ev) => desired.has(ev.vertexId));
    for (const ev of chosen) {
      this.log.info({ jobId: job.jobId, vertex: ev.vertexName, from: ev.parallelism, to: ev.recommended, inputs: ev }, `autoscaler: ${ev.vertexName} ${ev.parallelism} → ${ev.recommended}: ${ev.reason}`);
    }
    const decision = state.addDecision(now, chosen);
    state.samples.length = 0;
    for (const ev of chosen) state.scaleDownSince.delete(ev.vertexId);
    this.rescaler.rescaleTo(job.jobId, desired, 'autoscaler').then(
      (rescaled) => (decision.outcome = rescaled ? 'rescaled' : 'unchanged (slots or forward edges)'),
      (err: unknown) => {
        decision.outcome = `failed: ${describeError(err)}`;
        this.log.warn({ jobId: job.jobId, err: describeError(err) }, 'autoscaler: the rescale failed');
      },
    );
  }
}
