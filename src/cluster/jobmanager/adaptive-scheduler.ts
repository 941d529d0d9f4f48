/**
 * The adaptive scheduler (`jobmanager.scheduler: adaptive`) and reactive mode
 * (`scheduler-mode: reactive`), as Flink's AdaptiveScheduler behaves:
 *
 * - each vertex has parallelism bounds (lower 1, upper its configured parallelism; in reactive
 *   mode its max parallelism); a job starts at the highest parallelism the slots allow within
 *   them, or waits (up to `jobmanager.adaptive-scheduler.resource-wait-timeout`, the slot
 *   request's timeout) for its lower bounds;
 * - a TaskManager registering: once no other registered for
 *   `jobmanager.adaptive-scheduler.resource-stabilization-timeout`, and no sooner than
 *   `jobmanager.adaptive-scheduler.scaling-interval.min` after the job's last rescale, every
 *   running job that can run higher within its bounds is rescaled up (job-rescaler.ts);
 * - a TaskManager lost: its tasks fail, and the restart runs at the parallelism the remaining
 *   slots allow (the restart strategy's delay is the wait), at its lower bounds otherwise.
 */
import type { FlussConfig } from '../../core/config.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { JobMaster } from './job-master.js';
import type { JobRescaler } from './job-rescaler.js';
import type { RescaleTrigger } from './rescale-history.js';
import type { ResourceManager } from './resource-manager.js';
import type { ResourceRequirements } from './resource-requirements.js';
import { initialRequirements } from './resource-requirements.js';

/** How often the slot pool is looked at for new slots. */
const SLOT_WATCH_INTERVAL_MS = 250;

/** Which scheduler the cluster runs. */
export type SchedulerKind = 'default' | 'adaptive' | 'reactive';

/** The scheduler `config` selects (reactive mode implies the adaptive scheduler). */
export function schedulerKindOf(config: FlussConfig): SchedulerKind {
  if (config['scheduler-mode'] === 'reactive') return 'reactive';
  return config['jobmanager.scheduler'] === 'adaptive' ? 'adaptive' : 'default';
}

/**
 * The configuration JobMasters run with: under the adaptive scheduler a job waits for the
 * slots of its lower bounds up to the resource wait timeout (reactive mode: without end, as
 * in Flink), which is its slot request's timeout.
 */
export function schedulerConfig(config: FlussConfig): FlussConfig {
  const kind = schedulerKindOf(config);
  if (kind === 'default') return config;
  const wait = kind === 'reactive' ? 2_147_483_647 : config['jobmanager.adaptive-scheduler.resource-wait-timeout'];
  return { ...config, 'slot.request.timeout': wait };
}

/** The bounds a job starts with under `kind`. */
export function adaptiveRequirements(kind: SchedulerKind, job: JobMaster): ResourceRequirements {
  const requirements = initialRequirements(job.jobGraph);
  if (kind === 'reactive') for (const v of job.jobGraph.vertices) requirements.set(v.id, { lowerBound: 1, upperBound: v.maxParallelism });
  return requirements;
}

/** Reacts to TaskManagers for the jobs of one JobManager under the adaptive scheduler. */
export class AdaptiveScheduler {
  private readonly log: Logger;
  private stabilization: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly watch: NodeJS.Timeout;

  constructor(
    readonly kind: Exclude<SchedulerKind, 'default'>,
    private readonly jobs: () => readonly JobMaster[],
    resourceManager: ResourceManager,
    private readonly rescaler: JobRescaler,
    private readonly config: FlussConfig,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'AdaptiveScheduler' });
    resourceManager.addListener({
      taskManagerReRegistered: () => this.resourcesChanged(),
      taskManagerLost: (tmId) => this.log.info({ taskManagerId: tmId }, 'TaskManager lost: jobs on it restart at the parallelism the remaining slots allow'),
    });
    // New TaskManagers are noticed by their slots arriving in the pool (whatever path registered them).
    let slots = resourceManager.slotPool.totalSlots;
    this.watch = setInterval(() => {
      const now = resourceManager.slotPool.totalSlots;
      if (now > slots) this.resourcesChanged();
      slots = now;
    }, SLOT_WATCH_INTERVAL_MS);
    this.watch.unref();
  }

  /** A job was created and has not started: it starts at the parallelism the slots allow. */
  jobCreated(job: JobMaster): void {
    this.rescaler.makeAdaptive(job, adaptiveRequirements(this.kind, job));
  }

  /** Stops reacting (the JobManager stops). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.watch);
    if (this.stabilization) clearTimeout(this.stabilization);
  }

  /** Slots arrived: scale up once they stopped arriving for the stabilization timeout. */
  private resourcesChanged(): void {
    if (this.stopped) return;
    if (this.stabilization) clearTimeout(this.stabilization);
    this.stabilization = setTimeout(() => this.scaleUp(), this.config['jobmanager.adaptive-scheduler.resource-stabilization-timeout']);
    this.stabilization.unref();
  }

  private scaleUp(): void {
    this.stabilization = undefined;
    const minInterval = this.config['jobmanager.adaptive-scheduler.scaling-interval.min'];
    let retryIn: number | undefined;
    for (const job of this.jobs()) {
      if (job.status !== 'RUNNING' || this.rescaler.isRescaling(job.jobId)) continue;
      const wait = (this.rescaler.lastRescaleAt(job.jobId) ?? 0) + minInterval - Date.now();
      if (wait > 0) {
        retryIn = Math.min(retryIn ?? wait, wait);
        continue;
      }
      // Not every task may run yet (a restart just happened): try again shortly.
      if (!job.executions.every((e) => e.state === 'RUNNING')) {
        retryIn = Math.min(retryIn ?? 1_000, 1_000);
        continue;
      }
      const trigger: RescaleTrigger = this.kind === 'reactive' ? 'reactive' : 'adaptive';
      this.rescaler.update(job.jobId, new Map(), false, trigger).catch((err: unknown) => {
        this.log.warn({ jobId: job.jobId, err: describeError(err) }, 'could not rescale the job to the new slots');
      });
    }
    if (retryIn !== undefined && !this.stopped) {
      this.stabilization = setTimeout(() => this.scaleUp(), retryIn);
      this.stabilization.unref();
    }
  }
}
