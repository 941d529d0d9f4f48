/**
 * Rescaling running jobs in place (`fluss rescale`, `PUT /jobs/:jid/resource-requirements`,
 * the gRPC UpdateJobResourceRequirements): the requested bounds are validated and merged into
 * the job's resource requirements; the parallelism they give with the slots the job can have
 * (its own plus the free ones) is applied through a checkpoint taken for the rescale: once it
 * completed, every task is cancelled and the job is redeployed at the new parallelism,
 * restoring that checkpoint — key groups, operator list and union state and source splits are
 * redistributed by the restore, two-phase-commit sinks commit what the checkpoint covers and
 * drop the rest, which the sources replay. A job without periodic checkpoints is rescaled the
 * same way from a checkpoint taken just for it.
 */
import type { FlussConfig } from '../../core/config.js';
import { describeError, FailedPreconditionError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isTerminalJobStatus } from '../../runtime/task-deployment.js';
import type { Dispatcher } from './dispatcher.js';
import type { JobMaster } from './job-master.js';
import {
  describeParallelism,
  clampToBounds,
  differsFromCurrent,
  equalizeForwardEdges,
  initialRequirements,
  minimumSlots,
  parallelismFor,
  type ResourceRequirements,
} from './resource-requirements.js';
import type { ResourceManager } from './resource-manager.js';
import { RescaleHistory, type RescaleTrigger } from './rescale-history.js';

/** How often a rescale checks that every task is RUNNING again. */
const RUNNING_POLL_MS = 50;

/** What a rescale request led to. */
export interface RescaleOutcome {
  /** Parallelism per vertex id after the request. */
  parallelism: Map<string, number>;
  /** False when the job already ran at that parallelism (only the bounds were stored). */
  rescaled: boolean;
}

/**
 * A job under the adaptive scheduler whose lower bounds need more slots than it can have (Flink's
 * `WaitingForResources` state): at submission, or after a TaskManager loss. Cleared once every
 * task of the job runs.
 */
export interface WaitingForResources {
  /** Slots the lower bounds need. */
  needed: number;
  /** Slots the job can have now (free ones and its own). */
  available: number;
  /** When it started waiting (ms since epoch). */
  since: number;
}

interface JobScaling {
  requirements: ResourceRequirements;
  /** The parallelism the next restart applies (one rescale). */
  pending: Map<string, number> | undefined;
  inProgress: boolean;
  /** Adaptive scheduler: every restart runs at the parallelism the slots allow within the bounds. */
  adaptive: boolean;
  /** When the job last ran at a new parallelism (or started). */
  lastRescaleAt: number;
  /** The autoscaler sets the parallelism within the bounds. */
  autoscaled: boolean;
  /** Set while the job waits for the slots of its lower bounds. */
  waiting: WaitingForResources | undefined;
  /** The last write of its bounds and parallelism to the HA store (writes stay in order). */
  persisted: Promise<void>;
}

/** Rescales the jobs of one Dispatcher. */
export class JobRescaler {
  private readonly jobs = new WeakMap<JobMaster, JobScaling>();
  /** Rescales of every job, for REST and the dashboard. */
  readonly history = new RescaleHistory();
  private readonly log: Logger;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly resourceManager: ResourceManager,
    private readonly config: FlussConfig,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'JobRescaler' });
  }

  /** The job's current requirements; NotFoundError for an unknown job. */
  requirementsOf(jobId: string): ResourceRequirements {
    return this.scalingOf(this.jobOf(jobId)).requirements;
  }

  /**
   * Puts a job that has not started yet under the adaptive scheduler: `requirements` replace its
   * bounds, and it starts — and every restart, after a failure or a lost TaskManager, runs — at
   * the highest parallelism the slots allow within them (at its lower bounds while too few
   * slots are there: the slot request waits for them).
   */
  makeAdaptive(job: JobMaster, requirements: ResourceRequirements): void {
    const scaling = this.scalingOf(job);
    // A job recovered from the HA store keeps the bounds it had.
    scaling.requirements = this.dispatcher.recoveredRequirementsOf(job.jobId) ?? requirements;
    scaling.adaptive = true;
    job.executionGraph.setParallelism(this.parallelismNow(job, scaling));
  }

  /** When the job last ran at a new parallelism (or started); undefined for a job never seen. */
  lastRescaleAt(jobId: string): number | undefined {
    const job = this.dispatcher.jobMaster(jobId);
    return job ? this.jobs.get(job)?.lastRescaleAt : undefined;
  }

  /**
   * What the job waits for while its lower bounds do not fit the slots it can have; null once
   * every task runs (or the job ended), and for a job never seen.
   */
  waitingForResources(jobId: string): WaitingForResources | null {
    const job = this.dispatcher.jobMaster(jobId);
    const scaling = job ? this.jobs.get(job) : undefined;
    if (!job || !scaling?.waiting) return null;
    const ended = isTerminalJobStatus(job.status) || job.status === 'SUSPENDED';
    const runs = job.status === 'RUNNING' && job.executions.every((e) => e.state === 'RUNNING' || e.state === 'FINISHED');
    if (ended || runs) scaling.waiting = undefined;
    return scaling.waiting ? { ...scaling.waiting, available: this.availableSlots(job) } : null;
  }

  /** True while a rescale of the job is under way. */
  isRescaling(jobId: string): boolean {
    const job = this.dispatcher.jobMaster(jobId);
    return job ? this.jobs.get(job)?.inProgress === true : false;
  }

  /** The adaptive parallelism of `job` with the slots available now; its lower bounds when they do not fit. */
  private parallelismNow(job: JobMaster, scaling: JobScaling): Map<string, number> {
    const slots = this.availableSlots(job);
    const target = parallelismFor(job.jobGraph, scaling.requirements, slots);
    if (target) {
      scaling.waiting = undefined;
      return target;
    }
    const needed = minimumSlots(scaling.requirements);
    scaling.waiting = { needed, available: slots, since: scaling.waiting?.since ?? Date.now() };
    this.log.warn({ jobId: job.jobId, needed, available: slots }, `Job ${job.jobId} is waiting for resources: it needs ${needed} slots, ${slots} are available`);
    return new Map([...scaling.requirements].map(([id, b]) => [id, b.lowerBound] as const));
  }

  /** Slots the job can run on now: the ones it holds and the free ones. */
  availableSlots(job: JobMaster): number {
    const pool = this.resourceManager.slotPool;
    return pool.freeSlots + pool.slotsOf(job.jobId).length;
  }

  /**
   * Merges `requested` into the job's requirements and rescales it when the parallelism they
   * give differs from the current one. Refused (nothing changes): an unknown job (NotFoundError),
   * a job not RUNNING, one being rescaled, lower bounds above the slots it can have, no
   * checkpoint storage (FailedPreconditionError), forward-joined vertices ending unequal
   * (InvalidArgumentError). With `wait` it resolves once every task runs again; without, once
   * the rescale started (its failure is logged).
   */
  async update(jobId: string, requested: ResourceRequirements, wait: boolean, trigger: RescaleTrigger = 'request'): Promise<RescaleOutcome> {
    const job = this.jobOf(jobId);
    if (job.status !== 'RUNNING') throw new FailedPreconditionError(`Job ${jobId} is ${job.status}: only a running job can be rescaled.`);
    const scaling = this.scalingOf(job);
    if (scaling.inProgress) throw new FailedPreconditionError(`Job ${jobId} is already being rescaled.`);
    const merged: ResourceRequirements = new Map([...scaling.requirements, ...requested]);
    const slots = this.availableSlots(job);
    // An autoscaled job keeps its parallelism where the new bounds allow: the autoscaler moves it.
    const target = scaling.autoscaled ? clampToBounds(job.jobGraph, merged, slots) : parallelismFor(job.jobGraph, merged, slots);
    if (!target) {
      throw new FailedPreconditionError(`Job ${jobId} needs at least ${minimumSlots(merged)} slots for these lower bounds; ${slots} are available to it.`);
    }
    if (!differsFromCurrent(job.jobGraph, target)) {
      scaling.requirements = merged;
      this.persist(job, scaling);
      return { parallelism: target, rescaled: false };
    }
    if (!job.checkpointing.storage.checkpointsDir) {
      throw new FailedPreconditionError(`Job ${jobId} cannot be rescaled in place: it has no checkpoint storage (set state.checkpoints.dir).`);
    }
    scaling.requirements = merged;
    this.persist(job, scaling);
    const done = this.rescale(job, scaling, target, trigger);
    if (wait) await done;
    else done.catch((err: unknown) => this.log.warn({ jobId, err: describeError(err) }, 'rescale failed'));
    return { parallelism: target, rescaled: true };
  }

  /**
   * Rescales the job to `desired` parallelism per vertex (the autoscaler's decision), capped by
   * the slots it can have and equalised across forward edges; resolves with false when that is
   * the current parallelism, true once every task runs at the new one. Refusals as {@link update}.
   */
  async rescaleTo(jobId: string, desired: ReadonlyMap<string, number>, trigger: RescaleTrigger): Promise<boolean> {
    const job = this.jobOf(jobId);
    if (job.status !== 'RUNNING') throw new FailedPreconditionError(`Job ${jobId} is ${job.status}: only a running job can be rescaled.`);
    const scaling = this.scalingOf(job);
    if (scaling.inProgress) throw new FailedPreconditionError(`Job ${jobId} is already being rescaled.`);
    const slots = this.availableSlots(job);
    const capped = new Map(job.jobGraph.vertices.map((v) => [v.id, Math.max(1, Math.min(desired.get(v.id) ?? v.parallelism, slots))] as const));
    const target = equalizeForwardEdges(job.jobGraph, capped);
    if (!differsFromCurrent(job.jobGraph, target)) return false;
    if (!job.checkpointing.storage.checkpointsDir) {
      throw new FailedPreconditionError(`Job ${jobId} cannot be rescaled in place: it has no checkpoint storage (set state.checkpoints.dir).`);
    }
    await this.rescale(job, scaling, target, trigger);
    return true;
  }

  /**
   * Puts a job under the autoscaler with `requirements` as its bounds: from now on a change of
   * the bounds keeps each vertex's parallelism where they allow instead of moving it to the
   * upper bound. NotFoundError for an unknown job.
   */
  makeAutoscaled(jobId: string, requirements: ResourceRequirements): void {
    const scaling = this.scalingOf(this.jobOf(jobId));
    scaling.requirements = this.dispatcher.recoveredRequirementsOf(jobId) ?? requirements;
    scaling.autoscaled = true;
  }

  /** Takes the rescale's checkpoint, restarts the job at `target` and waits until every task runs. */
  private async rescale(job: JobMaster, scaling: JobScaling, target: Map<string, number>, trigger: RescaleTrigger): Promise<void> {
    const jobId = job.jobId;
    const from = new Map(job.jobGraph.vertices.map((v) => [v.id, v.parallelism] as const));
    const started = Date.now();
    scaling.inProgress = true;
    try {
      let checkpointId: number;
      try {
        checkpointId = (await job.checkpointing.coordinator.triggerCheckpoint()).checkpointId;
      } catch (err) {
        throw new FailedPreconditionError(`Job ${jobId} was not rescaled: the checkpoint for the rescale failed: ${describeError(err)}`, { cause: err });
      }
      if (job.status !== 'RUNNING') throw new FailedPreconditionError(`Job ${jobId} was not rescaled: it is ${job.status}.`);
      scaling.pending = target;
      this.log.info({ jobId, checkpointId, trigger, from: describeParallelism(job.jobGraph, from), to: describeParallelism(job.jobGraph, target) }, 'rescaling job');
      job.restartInPlace();
      await this.whenRunning(job);
      const durationMs = Date.now() - started;
      this.history.add(jobId, { timestamp: Date.now(), trigger, from: Object.fromEntries(from), to: Object.fromEntries(target), checkpointId, durationMs });
      this.log.info({ jobId, durationMs, parallelism: describeParallelism(job.jobGraph, target) }, 'job rescaled');
    } finally {
      scaling.inProgress = false;
    }
  }

  /** Resolves once the job is RUNNING with every task RUNNING; rejects when it ends or takes too long. */
  private async whenRunning(job: JobMaster): Promise<void> {
    const deadline = Date.now() + this.config['slot.request.timeout'] + 60_000;
    for (;;) {
      const status = job.status;
      if (isTerminalJobStatus(status) || status === 'SUSPENDED') {
        throw new FailedPreconditionError(`Job ${job.jobId} is ${status} after its rescale${job.currentFailureCause ? `: ${job.currentFailureCause}` : ''}`);
      }
      if (status === 'RUNNING' && job.executions.every((e) => e.state === 'RUNNING' || e.state === 'FINISHED')) return;
      if (Date.now() > deadline) throw new FailedPreconditionError(`Job ${job.jobId} did not run again within its rescale's deadline (it is ${status}).`);
      await new Promise((r) => setTimeout(r, RUNNING_POLL_MS));
    }
  }

  /**
   * Records the job's bounds and its parallelism (`parallelism`, else the current one) in the HA
   * store, after the writes before it; a failed write is logged (the job runs on).
   */
  private persist(job: JobMaster, scaling: JobScaling, parallelism?: ReadonlyMap<string, number>): void {
    const record = {
      requirements: Object.fromEntries([...scaling.requirements].map(([id, b]) => [id, { lowerBound: b.lowerBound, upperBound: b.upperBound }] as const)),
      parallelism: Object.fromEntries(job.jobGraph.vertices.map((v) => [v.id, parallelism?.get(v.id) ?? v.parallelism] as const)),
    };
    scaling.persisted = scaling.persisted
      .then(() => this.dispatcher.recordScaling(job.jobId, record))
      .catch((err: unknown) => this.log.warn({ jobId: job.jobId, err: describeError(err) }, 'could not record the job\'s resource requirements in the HA store'));
  }

  private jobOf(jobId: string): JobMaster {
    const job = this.dispatcher.jobMaster(jobId);
    if (!job) throw new NotFoundError(`Job ${jobId} not found.`);
    return job;
  }

  /** The job's scaling state; installs the restart hook that applies a pending rescale. */
  private scalingOf(job: JobMaster): JobScaling {
    let scaling = this.jobs.get(job);
    if (!scaling) {
      const created: JobScaling = {
        requirements: this.dispatcher.recoveredRequirementsOf(job.jobId) ?? initialRequirements(job.jobGraph),
        pending: undefined,
        inProgress: false,
        adaptive: false,
        lastRescaleAt: job.startTime,
        autoscaled: false,
        waiting: undefined,
        persisted: Promise.resolve(),
      };
      job.executionGraph.parallelismOnRestart = () => {
        const next = created.pending ?? (created.adaptive ? this.parallelismNow(job, created) : undefined);
        created.pending = undefined;
        if (next && differsFromCurrent(job.jobGraph, next)) {
          created.lastRescaleAt = Date.now();
          this.persist(job, created, next);
          this.log.info({ jobId: job.jobId, parallelism: describeParallelism(job.jobGraph, next) }, 'job restarts at a new parallelism');
        }
        return next;
      };
      this.jobs.set(job, (scaling = created));
    }
    return scaling;
  }
}
