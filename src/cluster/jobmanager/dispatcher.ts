/**
 * The Dispatcher: accepts jobs, stores their bundles, starts one JobMaster per job, and answers
 * list / get / cancel / watch. It also routes task updates and TaskManager loss to the
 * JobMasters concerned.
 */
import type { FlussConfig } from '../../core/config.js';
import { describeError, FlussError, InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { isId, newId } from '../../core/ids.js';
import { resolveInsideRoots } from '../../core/paths.js';
import type { Logger } from '../../core/logger.js';
import { isTerminalJobStatus, type ExecutionState } from '../../runtime/task-deployment.js';
import type { TaskCheckpointAck, TaskCheckpointDecline, TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { CompletedCheckpoint } from '../../checkpoint/completed-checkpoint-store.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { JobInfo, RunningTask, SubmitJobRequest } from '../rpc/messages.js';
import type { BlobStore } from './blob-store.js';
import { parseJobGraph } from './job-graph-validation.js';
import { HaStore, type HaScalingRecord } from './ha-store.js';
import type { ResourceRequirements } from './resource-requirements.js';
import { completedOf, planJobRecovery } from './job-recovery.js';
import { checkCheckpointingConfigured } from './job-checkpointing.js';
import { JobMaster, type SavepointOptions, type TaskStateUpdate } from './job-master.js';
import { disposeSavepointInRoots, restorePointForSubmission } from './savepoint-operations.js';
import type { ResourceManager } from './resource-manager.js';

/** A submission as it arrives over gRPC (the `SubmitJobRequest` message). */
export type JobSubmission = SubmitJobRequest;

/** How a JobMaster starts besides its graph: restore points and recovery details. */
interface JobStart {
  restore?: TaskRestore;
  firstAttempt?: number;
  restoreFromEmptyOnDamage?: boolean;
  recoveredCheckpoints?: CompletedCheckpoint[];
  checkpointedBefore?: boolean;
  firstCheckpointId?: number;
  /** Recovery found nothing restorable: list the job FAILED with this cause. */
  failure?: string;
}

const EXECUTION_STATES = new Set<string>(['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED']);

/** How many terminal jobs are remembered for `list -a` and `getJob`. */
const RETAINED_TERMINAL_JOBS = 1000;

/** Job registry and entry point of every job-level request. */
export class Dispatcher {
  private readonly jobs = new Map<string, JobMaster>();
  private readonly watchers = new Map<string, Set<(info: JobInfo) => void>>();
  private readonly log: Logger;
  private readonly removedListeners: ((jobId: string) => void)[] = [];
  private readonly createdListeners: ((job: JobMaster) => void)[] = [];
  /** Jobs and checkpoint pointers for a restarted JobManager (`high-availability.storageDir`). */
  private readonly haStore: HaStore;
  /** Bounds of recovered jobs as the HA store had them (the rescaler starts from these). */
  private readonly recoveredRequirements = new Map<string, ResourceRequirements>();

  constructor(
    private readonly config: FlussConfig,
    private readonly logger: Logger,
    private readonly resourceManager: ResourceManager,
    private readonly blobStore: BlobStore,
  ) {
    this.log = logger.child({ component: 'JobManager' });
    this.haStore = new HaStore(config['high-availability.storageDir'], resourceManager.fence);
    resourceManager.addListener({
      taskManagerRegistered: (_tmId, runningTasks: RunningTask[]) => {
        // Tasks a previous JobManager deployed: new attempts must not collide with them.
        for (const job of this.jobs.values()) job.skipAttemptsOf(runningTasks);
      },
      taskManagerLost: (tmId, _address, cause) => {
        for (const job of this.jobs.values()) job.taskManagerLost(tmId, cause);
      },
      taskManagerReRegistered: (tmId, runningTasks: RunningTask[]) => {
        for (const job of this.jobs.values()) job.taskManagerReRegistered(tmId, runningTasks);
      },
    });
  }

  /** Validates and starts a job; resolves with its id. */
  async submitJob(req: JobSubmission): Promise<string> {
    const jobId = req.jobId || newId();
    if (!isId(jobId)) throw new InvalidArgumentError(`job id must be 32 lowercase hex digits, got "${req.jobId}"`);
    if (this.jobs.has(jobId)) throw new FlussError('ALREADY_EXISTS', `Job ${jobId} already exists.`);
    if (!req.bundle || req.bundle.length === 0) throw new InvalidArgumentError('the job bundle is empty');
    if (!Array.isArray(req.programArgs) || req.programArgs.some((a) => typeof a !== 'string')) {
      throw new InvalidArgumentError('program_args must be strings');
    }
    const jobGraph = parseJobGraph(req.jobGraphJson);
    checkCheckpointingConfigured(jobGraph, this.config);
    const restore = req.restorePath ? await restorePointForSubmission(req.restorePath, jobGraph, req.allowNonRestoredState ?? false, this.config) : undefined;
    const bundleHash = await this.blobStore.put(req.bundle);
    // Checked again: another submission with this id may have finished while the bundle was stored.
    if (this.jobs.has(jobId)) throw new FlussError('ALREADY_EXISTS', `Job ${jobId} already exists.`);
    const restoreFromEmptyOnDamage = req.restoreFromEmptyOnDamage === true;
    await this.haStore.putJob({ jobId, jobGraph, bundleHash, programArgs: req.programArgs, restore, ...(restoreFromEmptyOnDamage ? { restoreFromEmptyOnDamage } : {}), submittedAt: Date.now() });
    this.startJobMaster(jobId, jobGraph, bundleHash, req.programArgs, { restore, ...(restoreFromEmptyOnDamage ? { restoreFromEmptyOnDamage } : {}) });
    this.log.info({ jobId, name: jobGraph.jobName, bundleHash }, 'job accepted');
    this.trimTerminalJobs();
    return jobId;
  }

  /**
   * Resumes the jobs a previous JobManager left in `high-availability.storageDir`, each from its
   * newest restorable retained checkpoint (job-recovery.ts); they wait for TaskManagers to
   * (re)connect. A job is never dropped: one that cannot be restored is listed FAILED with
   * the cause. Resolves with the ids of every job listed.
   */
  async recoverJobs(): Promise<string[]> {
    const recovered: string[] = [];
    for (const job of await this.haStore.recoverJobs()) {
      const { record, nextAttempt } = job;
      if (this.jobs.has(record.jobId)) continue;
      if (job.scaling) this.applyRecoveredScaling(record.jobId, record.jobGraph, job.scaling);
      let start: JobStart;
      try {
        await this.blobStore.get(record.bundleHash);
        const plan = await planJobRecovery(job, this.config, this.log, this.resourceManager.fence);
        start =
          plan.kind === 'fail'
            ? { failure: plan.cause, checkpointedBefore: job.checkpointedBefore, recoveredCheckpoints: plan.retained }
            : {
                restore: plan.initialRestore,
                firstAttempt: nextAttempt,
                recoveredCheckpoints: plan.retained,
                checkpointedBefore: plan.checkpointedBefore,
                firstCheckpointId: plan.firstCheckpointId,
                ...(record.restoreFromEmptyOnDamage ? { restoreFromEmptyOnDamage: true } : {}),
              };
        if (plan.kind === 'run' && plan.notice) this.log.warn({ jobId: record.jobId }, plan.notice);
        if (plan.kind === 'run' && plan.notice && this.haStore.enabled) {
          // The HA store forgets the damaged checkpoints before anything is deployed.
          await this.haStore.putRetainedCheckpoints(record.jobId, plan.retained.map(refOf));
        }
      } catch (err) {
        start = { failure: `Job ${record.jobId} could not be recovered: ${describeError(err)}`, checkpointedBefore: job.checkpointedBefore, recoveredCheckpoints: job.retained.map(completedOf) };
      }
      this.startJobMaster(record.jobId, record.jobGraph, record.bundleHash, record.programArgs, start);
      recovered.push(record.jobId);
      const latest = start.recoveredCheckpoints?.at(-1);
      if (start.failure) this.log.error({ jobId: record.jobId }, `could not recover job: ${start.failure}`);
      else this.log.info({ jobId: record.jobId, checkpoint: latest?.externalPath ?? start.restore?.checkpointDir }, 'job recovered');
    }
    return recovered;
  }

  /**
   * A recovered job runs at the parallelism and within the bounds its last rescale left, not its
   * job graph's: its vertices take the stored parallelism (the restore redistributes the state).
   */
  private applyRecoveredScaling(jobId: string, jobGraph: JobGraph, scaling: HaScalingRecord): void {
    const requirements: ResourceRequirements = new Map();
    for (const v of jobGraph.vertices) {
      const p = scaling.parallelism[v.id];
      if (p !== undefined) v.parallelism = Math.min(p, v.maxParallelism);
      const b = scaling.requirements[v.id];
      if (b) requirements.set(v.id, { lowerBound: Math.min(b.lowerBound, v.maxParallelism), upperBound: Math.min(b.upperBound, v.maxParallelism) });
    }
    if (requirements.size === jobGraph.vertices.length) this.recoveredRequirements.set(jobId, requirements);
    this.log.info({ jobId, parallelism: scaling.parallelism }, 'job recovered at the parallelism and bounds of its last rescale');
  }

  /** The bounds the HA store had for a recovered job; undefined for a job submitted to this JobManager. */
  recoveredRequirementsOf(jobId: string): ResourceRequirements | undefined {
    return this.recoveredRequirements.get(jobId);
  }

  /** Records a job's bounds and parallelism in the HA store, so a JobManager taking over keeps them. */
  recordScaling(jobId: string, scaling: HaScalingRecord): Promise<void> {
    return this.haStore.putScaling(jobId, scaling);
  }

  private startJobMaster(jobId: string, jobGraph: JobGraph, bundleHash: string, programArgs: string[], start: JobStart): void {
    const master = new JobMaster({
      jobId,
      jobGraph,
      bundleHash,
      programArgs,
      config: this.config,
      logger: this.logger,
      resourceManager: this.resourceManager,
      onStatusChange: (info) => this.statusChanged(info),
      restore: start.restore,
      firstAttempt: start.firstAttempt ?? 0,
      ...(start.recoveredCheckpoints ? { recoveredCheckpoints: start.recoveredCheckpoints } : {}),
      ...(start.checkpointedBefore ? { checkpointedBefore: true } : {}),
      ...(start.firstCheckpointId !== undefined ? { firstCheckpointId: start.firstCheckpointId } : {}),
      ...(start.restoreFromEmptyOnDamage ? { restoreFromEmptyOnDamage: true } : {}),
      ...(this.haStore.enabled ? { recordAttempt: (attempt: number) => this.haStore.putAttempt(jobId, attempt) } : {}),
      onRetainedCheckpointsChanged: (retained) =>
        this.haStore.putRetainedCheckpoints(jobId, retained.map(refOf)).catch((err: unknown) => {
          this.log.warn({ jobId, err: describeError(err) }, 'could not record the retained checkpoints in the HA store');
        }),
    });
    this.jobs.set(jobId, master);
    if (start.failure === undefined) for (const l of this.createdListeners) l(master);
    if (start.failure !== undefined) master.failAtStart(start.failure);
    else master.start();
  }

  /** Jobs, newest first; terminal ones only with `includeTerminated`. */
  listJobs(includeTerminated: boolean): JobInfo[] {
    return [...this.jobs.values()]
      .filter((j) => includeTerminated || !isTerminalJobStatus(j.status))
      .sort((a, b) => b.startTime - a.startTime)
      .map((j) => j.info());
  }

  /** One job's info; NotFoundError for an unknown id. */
  getJob(jobId: string): JobInfo {
    return this.job(jobId).info();
  }

  /** Cancels a job; NotFoundError / FailedPreconditionError as the proto documents. */
  cancelJob(jobId: string): void {
    this.job(jobId).cancel();
    this.log.info({ jobId }, 'job cancellation requested');
  }

  /**
   * Calls `listener` with the job's current info and after every status change; returns the
   * unsubscribe function. The last call carries a terminal status.
   */
  watchJob(jobId: string, listener: (info: JobInfo) => void): () => void {
    const job = this.job(jobId);
    listener(job.info());
    if (isTerminalJobStatus(job.status)) return () => {};
    let set = this.watchers.get(jobId);
    if (!set) this.watchers.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(jobId);
    };
  }

  /** A task state update from a TaskManager. */
  updateTaskExecutionState(jobId: string, update: TaskStateUpdate): void {
    if (!EXECUTION_STATES.has(update.state)) throw new InvalidArgumentError(`unknown execution state "${update.state}"`);
    if (!Number.isInteger(update.subtaskIndex) || update.subtaskIndex < 0) throw new InvalidArgumentError('subtask_index must be >= 0');
    this.job(jobId).updateTaskExecutionState({ ...update, state: update.state as ExecutionState });
  }

  /** Takes a savepoint of a job (optionally stopping or cancelling it); resolves with its path. */
  triggerSavepoint(jobId: string, options: SavepointOptions): Promise<string> {
    const job = this.job(jobId);
    const roots = [this.config['state.savepoints.dir'], this.config['state.checkpoints.dir']];
    const targetDirectory = options.targetDirectory ? resolveInsideRoots(options.targetDirectory, roots, 'savepoint target directory') : undefined;
    this.log.info({ jobId, targetDirectory, stop: options.stop, cancel: options.cancel }, 'savepoint requested');
    return job.triggerSavepoint({ ...options, targetDirectory });
  }

  /** Deletes a savepoint directory (it must hold `_metadata`); resolves with the deleted path. */
  disposeSavepoint(path: string): Promise<string> {
    return disposeSavepointInRoots(path, this.config);
  }

  /** A task acknowledged a checkpoint. */
  acknowledgeCheckpoint(taskManagerId: string, jobId: string, ack: TaskCheckpointAck): Promise<void> {
    return this.job(jobId).acknowledgeCheckpoint(taskManagerId, ack);
  }

  /** A task declined a checkpoint. */
  declineCheckpoint(taskManagerId: string, jobId: string, decline: TaskCheckpointDecline): void {
    this.job(jobId).declineCheckpoint(taskManagerId, decline);
  }

  /** A stored bundle. */
  fetchBundle(hash: string): Promise<Buffer> {
    return this.blobStore.get(hash);
  }

  /** Suspends every running job (JobManager shutdown). */
  stop(): void {
    for (const job of this.jobs.values()) job.suspend();
    this.watchers.clear();
  }

  /** Every known JobMaster, newest first (REST views). */
  jobMasters(): JobMaster[] {
    return [...this.jobs.values()].sort((a, b) => b.startTime - a.startTime);
  }

  /** Calls `listener` with the id of every job the Dispatcher forgets (retention). */
  onJobRemoved(listener: (jobId: string) => void): void {
    this.removedListeners.push(listener);
  }

  /** Calls `listener` with every JobMaster created, before it starts (the adaptive scheduler sets its parallelism). */
  onJobCreated(listener: (job: JobMaster) => void): void {
    this.createdListeners.push(listener);
  }

  /** The JobMaster of a job (tests, embedding). */
  jobMaster(jobId: string): JobMaster | undefined {
    return this.jobs.get(jobId);
  }

  private job(jobId: string): JobMaster {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`Job ${jobId} not found.`);
    return job;
  }

  private statusChanged(info: JobInfo): void {
    if (isTerminalJobStatus(info.status)) {
      this.haStore.removeJob(info.jobId).catch((err: unknown) => this.log.warn({ jobId: info.jobId, err: describeError(err) }, 'could not remove the job from the HA store'));
    }
    const set = this.watchers.get(info.jobId);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(info);
      } catch (err) {
        this.log.warn({ err, jobId: info.jobId }, 'job watcher failed');
      }
    }
    if (isTerminalJobStatus(info.status) || info.status === 'SUSPENDED') this.watchers.delete(info.jobId);
  }

  private trimTerminalJobs(): void {
    const terminal = [...this.jobs.values()].filter((j) => isTerminalJobStatus(j.status)).sort((a, b) => a.startTime - b.startTime);
    for (let i = 0; i < terminal.length - RETAINED_TERMINAL_JOBS; i++) {
      const job = terminal[i]!;
      this.jobs.delete(job.jobId);
      this.recoveredRequirements.delete(job.jobId);
      for (const l of this.removedListeners) l(job.jobId);
      const stillUsed = [...this.jobs.values()].some((j) => j.bundleHash === job.bundleHash);
      if (!stillUsed) this.blobStore.evict(job.bundleHash);
    }
  }
}

/** The HA store's reference to a retained checkpoint. */
function refOf(cp: CompletedCheckpoint): { checkpointId: number; checkpointDir: string; timestamp: number } {
  return { checkpointId: cp.checkpointId, checkpointDir: cp.externalPath, timestamp: cp.timestamp };
}
