/**
 * The TaskManager's link to the JobManager: registration with exponential backoff (it never
 * gives up while the JobManager is away), periodic heartbeats, re-registration when the
 * JobManager forgot this TaskManager (restart, heartbeat timeout), and ordered delivery of
 * task state updates.
 */
import type { Logger } from 'pino';
import { describeError, NotFoundError } from '../../core/errors.js';
import type { RpcSecurity } from '../../core/rpc/credentials.js';
import type { TaskCheckpointAck, TaskCheckpointDecline } from '../../checkpoint/checkpoint-types.js';
import { JobManagerClient } from '../rpc/job-manager-client.js';
import type { RunningTask, TaskExecutionStateUpdate, TaskManagerMemoryMessage } from '../rpc/messages.js';

/** Settings of a {@link JobManagerConnection}. */
export interface JobManagerConnectionOptions {
  /** `host:port` of the JobManager. */
  jobManagerAddress: string;
  taskManagerId: string;
  /** Advertised `host:port` of this TaskManager's server. */
  rpcAddress: string;
  numberOfSlots: number;
  /** The memory budget, sent with every registration (REST `/taskmanagers` shows it). */
  memory?: TaskManagerMemoryMessage;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Used until the JobManager tells its own interval. */
  heartbeatIntervalMs: number;
  /** After this long without a successful heartbeat the TaskManager registers anew. */
  heartbeatTimeoutMs: number;
  /** Tasks still running, reported when (re-)registering. */
  runningTasks: () => RunningTask[];
  /** Task metrics shipped with every heartbeat. */
  metricsJson?: () => string;
  /** Jobs with task-local state here, named in every heartbeat. */
  localStateJobIds?: () => string[];
  /** Hears which of those jobs the JobManager reports ended. */
  onJobsEnded?: (jobIds: string[]) => void;
  logger: Logger;
  /** TLS material and auth token of the connection (default plaintext). */
  security?: RpcSecurity;
}

/** Bounds of how long one call waits for a connection before it counts as failed. */
const MIN_CONNECT_TIMEOUT_MS = 500;
const MAX_CONNECT_TIMEOUT_MS = 2_000;

/** How often a state update is retried before it is given up (the JobManager then relies on heartbeats). */
const STATE_UPDATE_ATTEMPTS = 8;

/** Registration, heartbeats and RPCs towards the JobManager. */
export class JobManagerConnection {
  private client: JobManagerClient;
  /** Cuts a registration backoff short (a new leader is known). */
  private wake: (() => void) | undefined;
  private readonly log: Logger;
  private registrationId: string | undefined;
  private heartbeatIntervalMs: number;
  private lastHeartbeatOk = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private registering = false;
  private registeredWaiters: (() => void)[] = [];
  /** Serialises state updates so that RUNNING always reaches the JobManager before FINISHED. */
  private updates: Promise<void> = Promise.resolve();

  constructor(private readonly options: JobManagerConnectionOptions) {
    this.client = this.clientOf(options.jobManagerAddress);
    this.log = options.logger;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
  }

  private clientOf(address: string): JobManagerClient {
    return new JobManagerClient(address, {
      // Short enough that registration attempts (and their log lines) follow the backoff.
      connectTimeoutMs: Math.min(MAX_CONNECT_TIMEOUT_MS, Math.max(MIN_CONNECT_TIMEOUT_MS, this.options.maxBackoffMs)),
      security: this.options.security,
    });
  }

  /**
   * Follows a new leading JobManager (high availability): drops the registration at the old one
   * and registers at `address` at once, reporting the tasks still running (the new leader
   * cancels them and restarts the jobs from their latest checkpoint).
   */
  switchJobManager(address: string): void {
    if (this.stopped || address === this.options.jobManagerAddress) return;
    const old = this.client;
    this.options.jobManagerAddress = address;
    this.client = this.clientOf(address);
    old.close();
    this.registrationId = undefined;
    this.log.info({ jobManager: address }, 'Following the new leading JobManager');
    if (this.registering) this.wake?.();
    else void this.register();
  }

  /** True while this TaskManager holds a registration. */
  get isRegistered(): boolean {
    return this.registrationId !== undefined;
  }

  /** Starts registering in the background. */
  start(): void {
    void this.register();
  }

  /** Resolves once registered (or stopped). */
  whenRegistered(): Promise<void> {
    if (this.registrationId !== undefined || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.registeredWaiters.push(resolve));
  }

  /** Fetches a job bundle from the JobManager's blob store. */
  fetchBundle(hash: string): Promise<Buffer> {
    return this.client.fetchBundle(hash);
  }

  /** Reports a task state change; updates are delivered in order and retried while the JobManager is away. */
  reportTaskState(update: Omit<TaskExecutionStateUpdate, 'taskManagerId'>): Promise<void> {
    const full: TaskExecutionStateUpdate = { ...update, taskManagerId: this.options.taskManagerId };
    const next = this.updates.then(() => this.deliverStateUpdate(full));
    this.updates = next;
    return next;
  }

  /** Sends a task's checkpoint acknowledgement (once: a lost ack lets the checkpoint expire). */
  acknowledgeCheckpoint(jobId: string, ack: TaskCheckpointAck): Promise<void> {
    return this.client.acknowledgeCheckpoint(this.options.taskManagerId, jobId, ack);
  }

  /** Tells the JobManager that a task declined a checkpoint. */
  declineCheckpoint(decline: TaskCheckpointDecline & { jobId: string }): Promise<void> {
    return this.client.declineCheckpoint({ ...decline, taskManagerId: this.options.taskManagerId });
  }

  /** Stops heartbeats and registration attempts and closes the client. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.registeredWaiters.splice(0)) w();
    // Let a last state update (CANCELED at shutdown) go out, but do not hang on it.
    await Promise.race([this.updates, sleep(1000)]);
    this.client.close();
  }

  private async deliverStateUpdate(update: TaskExecutionStateUpdate): Promise<void> {
    let delay = this.options.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.updateTaskExecutionState(update);
        return;
      } catch (err) {
        if (this.stopped || attempt >= STATE_UPDATE_ATTEMPTS || err instanceof NotFoundError) {
          this.log.warn(
            { jobId: update.jobId, vertex: update.vertexId, subtask: update.subtaskIndex, state: update.state, err: describeError(err) },
            'Could not report task state to the JobManager',
          );
          return;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, this.options.maxBackoffMs);
      }
    }
  }

  private async register(): Promise<void> {
    if (this.registering || this.stopped) return;
    this.registering = true;
    this.registrationId = undefined;
    if (this.timer) clearTimeout(this.timer);
    let delay = this.options.initialBackoffMs;
    const { taskManagerId, rpcAddress, numberOfSlots } = this.options;
    try {
      for (let attempt = 1; !this.stopped; attempt++) {
        const target = this.options.jobManagerAddress;
        try {
          const res = await this.client.registerTaskManager({
            taskManagerId,
            rpcAddress,
            numberOfSlots,
            memory: this.options.memory,
            runningTasks: this.options.runningTasks(),
          });
          if (this.stopped) return;
          this.registrationId = res.registrationId;
          if (res.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = res.heartbeatIntervalMs;
          this.lastHeartbeatOk = Date.now();
          this.log.info({ jobManager: this.options.jobManagerAddress, registrationId: res.registrationId, slots: numberOfSlots }, 'Registered at the JobManager');
          for (const w of this.registeredWaiters.splice(0)) w();
          this.scheduleHeartbeat();
          return;
        } catch (err) {
          if (this.stopped) return;
          const jobManagerAddress = this.options.jobManagerAddress;
          if (jobManagerAddress !== target) {
            // The leader changed during the attempt: register at the new one right away.
            delay = this.options.initialBackoffMs;
            continue;
          }
          this.log.warn(
            { jobManager: jobManagerAddress, attempt, nextAttemptInMs: delay, err: describeError(err) },
            `Registration at the JobManager ${jobManagerAddress} failed (attempt ${attempt}); retrying in ${delay} ms`,
          );
          const woken = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), delay);
            timer.unref();
            this.wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          this.wake = undefined;
          // A new leader: start its backoff afresh.
          delay = woken ? this.options.initialBackoffMs : Math.min(delay * 2, this.options.maxBackoffMs);
        }
      }
    } finally {
      this.registering = false;
    }
  }

  private scheduleHeartbeat(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.heartbeat(), this.heartbeatIntervalMs);
    this.timer.unref();
  }

  private async heartbeat(): Promise<void> {
    const registrationId = this.registrationId;
    if (this.stopped || registrationId === undefined) return;
    try {
      const ended = await this.client.heartbeat(this.options.taskManagerId, registrationId, this.options.metricsJson?.(), this.options.localStateJobIds?.());
      this.lastHeartbeatOk = Date.now();
      if (Array.isArray(ended) && ended.length > 0) this.options.onJobsEnded?.(ended);
      this.scheduleHeartbeat();
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof NotFoundError) {
        this.log.info({ err: describeError(err) }, 'The JobManager does not know this TaskManager (restarted or timed out); registering again');
        void this.register();
        return;
      }
      const silentFor = Date.now() - this.lastHeartbeatOk;
      if (silentFor >= this.options.heartbeatTimeoutMs) {
        // The JobManager has surely dropped this TaskManager by now: start over with backoff.
        this.log.warn({ silentForMs: silentFor, err: describeError(err) }, 'Lost the JobManager; registering again');
        void this.register();
        return;
      }
      this.log.warn({ err: describeError(err) }, 'Heartbeat to the JobManager failed');
      this.scheduleHeartbeat();
    }
  }
}

/** A delay that does not keep the process alive on its own. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
