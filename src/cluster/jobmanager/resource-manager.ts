/**
 * The ResourceManager: the registry of TaskManagers, their heartbeats and their slots. A
 * TaskManager silent for longer than `heartbeat.timeout` is lost: its slots vanish and the
 * JobMasters are told, so they fail the tasks it ran. A TaskManager whose process is gone is
 * lost at once: its connection drops and its address refuses connections (see
 * task-manager-liveness.ts). An unknown TaskManager's heartbeat gets NOT_FOUND, which tells it
 * to register again. Before it is lost, a TaskManager whose connection dropped (being probed) or
 * whose heartbeats are overdue by half the timeout is in doubt: its free slots are held back
 * until it is heard from, so restarts go to TaskManagers known to be alive. So is one that
 * registers again after it was lost to a heartbeat timeout, until its first heartbeat.
 */
import type { FlussConfig } from '../../core/config.js';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { RunningTask, TaskManagerMemoryMessage } from '../rpc/messages.js';
import { PLAINTEXT, type RpcSecurity } from '../../core/rpc/credentials.js';
import { TaskManagerClient } from '../rpc/task-manager-client.js';
import { SlotPool } from './slot-pool.js';
import { TaskManagerLiveness } from './task-manager-liveness.js';
import { fencingMetadata, NO_FENCE, type LeaderFence } from '../ha/fencing.js';

/** A registered TaskManager. */
export interface TaskManagerRegistration {
  taskManagerId: string;
  registrationId: string;
  /** `host:port` of its TaskManagerService and DataExchange server. */
  address: string;
  numberOfSlots: number;
  /** Its memory budget in bytes, as it registered it (undefined from older TaskManagers). */
  memory?: TaskManagerMemoryMessage;
  lastHeartbeat: number;
  client: TaskManagerClient;
  /** Its connection dropped and was not confirmed alive since (see TaskManagerLiveness). */
  connectionInDoubt?: boolean;
  /** Its heartbeats are overdue by more than half of `heartbeat.timeout`. */
  heartbeatOverdue?: boolean;
  /**
   * It registered again after this JobManager lost it to a heartbeat timeout (a frozen or
   * overloaded process), and has not sent a heartbeat since: new work waits until it proves
   * responsive, instead of landing on a process still busy with its cancelled tasks.
   */
  onProbation?: boolean;
}

/** What a (re-)registering TaskManager sends. */
export interface TaskManagerRegistrationRequest {
  taskManagerId: string;
  rpcAddress: string;
  numberOfSlots: number;
  runningTasks: RunningTask[];
  memory?: TaskManagerMemoryMessage | null;
}

/** Callbacks of the JobManager about TaskManager life cycle. */
export interface ResourceManagerListener {
  /** The TaskManager is gone; `cause` is one line. */
  taskManagerLost(taskManagerId: string, address: string, cause: string): void;
  /** A known TaskManager registered again, still running `runningTasks`. */
  taskManagerReRegistered(taskManagerId: string, runningTasks: RunningTask[]): void;
  /**
   * A TaskManager unknown to this JobManager registered while running `runningTasks` (deployed
   * by a previous JobManager; they are being cancelled). Called before its slots are offered.
   */
  taskManagerRegistered?(taskManagerId: string, runningTasks: RunningTask[]): void;
}

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** TaskManager registry, heartbeat monitor and slot pool. */
export class ResourceManager {
  /** Slots of all registered TaskManagers. */
  readonly slotPool = new SlotPool();
  private readonly taskManagers = new Map<string, TaskManagerRegistration>();
  private readonly listeners: ResourceManagerListener[] = [];
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private monitor: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  /** Connection watchers, by TaskManager id. */
  private readonly liveness = new Map<string, TaskManagerLiveness>();
  /** TaskManagers lost to a heartbeat timeout that have not registered again (see onProbation). */
  private readonly lostToSilence = new Set<string>();

  /** `security`: TLS and token of the clients that deploy to TaskManagers (default plaintext). */
  constructor(
    config: FlussConfig,
    logger: Logger,
    private readonly security: RpcSecurity = PLAINTEXT,
    /** The leader term of this JobManager: stamped on, and checked before, every call to a TaskManager. */
    readonly fence: LeaderFence = NO_FENCE,
  ) {
    this.heartbeatIntervalMs = config['heartbeat.interval'];
    this.heartbeatTimeoutMs = config['heartbeat.timeout'];
    this.log = logger.child({ component: 'ResourceManager' });
  }

  /** Silence after which a TaskManager's free slots are held back (it is not lost yet). */
  private get overdueAfterMs(): number {
    return Math.max(2 * this.heartbeatIntervalMs, this.heartbeatTimeoutMs / 2);
  }

  /** Starts watching heartbeats. */
  start(): void {
    const period = Math.max(10, Math.min(this.heartbeatIntervalMs, Math.floor(this.heartbeatTimeoutMs / 4)));
    this.monitor = setInterval(() => this.checkHeartbeats(Date.now(), (timedOut) => this.recheckAfterIo(timedOut)), period);
    this.monitor.unref();
  }

  /**
   * Timers run before pending I/O: after this JobManager's own event loop was busy (a large
   * deployment, a restore point being checked), heartbeats that did arrive may still sit unread.
   * The loss is decided after one pass over pending I/O, so only TaskManagers that really went
   * silent are lost.
   */
  private recheckAfterIo(timedOut: TaskManagerRegistration[]): void {
    setImmediate(() => {
      const now = Date.now();
      for (const tm of timedOut) if (this.taskManagers.get(tm.taskManagerId) === tm) this.loseSilent(tm, now);
    });
  }

  /** Stops the monitor and closes every TaskManager connection. */
  stop(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
    this.slotPool.close(new UnavailableError('the JobManager is shutting down'));
    for (const tm of this.taskManagers.values()) tm.client.close();
    for (const l of this.liveness.values()) l.close();
    this.liveness.clear();
    this.taskManagers.clear();
  }

  /** Subscribes to TaskManager loss and re-registration. */
  addListener(listener: ResourceManagerListener): void {
    this.listeners.push(listener);
  }

  /** Registers a TaskManager (again); answers its registration id and heartbeat interval. */
  registerTaskManager(req: TaskManagerRegistrationRequest): { registrationId: string; heartbeatIntervalMs: number } {
    if (!req.taskManagerId) throw new InvalidArgumentError('task_manager_id is required');
    if (!ADDRESS.test(req.rpcAddress)) throw new InvalidArgumentError(`rpc_address must be host:port, got "${req.rpcAddress}"`);
    if (!Number.isInteger(req.numberOfSlots) || req.numberOfSlots < 1 || req.numberOfSlots > 1024) {
      throw new InvalidArgumentError(`number_of_slots must be between 1 and 1024, got ${req.numberOfSlots}`);
    }
    const registrationId = newId();
    const existing = this.taskManagers.get(req.taskManagerId);
    if (existing && existing.address !== req.rpcAddress) {
      // Same id, new process at another address: the old one is gone with its tasks.
      this.loseTaskManager(existing, `TaskManager ${req.taskManagerId} re-registered from ${req.rpcAddress}`);
    }
    const known = this.taskManagers.get(req.taskManagerId);
    if (known) {
      known.registrationId = registrationId;
      known.numberOfSlots = req.numberOfSlots;
      known.memory = req.memory ?? undefined;
      known.lastHeartbeat = Date.now();
      known.heartbeatOverdue = false;
      this.slotPool.addTaskManager(req.taskManagerId, req.rpcAddress, req.numberOfSlots);
      this.updateDoubt(known);
      this.log.info({ taskManagerId: req.taskManagerId, address: req.rpcAddress }, 'TaskManager re-registered');
      for (const l of this.listeners) l.taskManagerReRegistered(req.taskManagerId, req.runningTasks);
    } else {
      const client = new TaskManagerClient(req.rpcAddress, { connectTimeoutMs: Math.max(1_000, this.heartbeatTimeoutMs), security: this.security, callMetadata: fencingMetadata(this.fence) });
      const registration: TaskManagerRegistration = {
        taskManagerId: req.taskManagerId,
        registrationId,
        address: req.rpcAddress,
        numberOfSlots: req.numberOfSlots,
        memory: req.memory ?? undefined,
        lastHeartbeat: Date.now(),
        client,
        onProbation: this.lostToSilence.delete(req.taskManagerId),
      };
      this.taskManagers.set(req.taskManagerId, registration);
      const liveness = new TaskManagerLiveness(
        req.rpcAddress,
        this.security,
        (cause) => this.loseTaskManager(registration, `TaskManager ${req.taskManagerId}: ${cause}`),
        undefined,
        (inDoubt) => {
          registration.connectionInDoubt = inDoubt;
          this.updateDoubt(registration);
        },
      );
      this.liveness.set(req.taskManagerId, liveness);
      liveness.start();
      this.log.info({ taskManagerId: req.taskManagerId, address: req.rpcAddress, slots: req.numberOfSlots }, 'TaskManager registered');
      if (req.runningTasks.length > 0) {
        // Deployed by a previous JobManager: the jobs this one resumes redeploy them afresh.
        this.log.info({ taskManagerId: req.taskManagerId, tasks: req.runningTasks.length }, 'cancelling tasks of a previous JobManager');
        for (const t of req.runningTasks) client.cancelTask(t.jobId, t.vertexId, t.subtaskIndex, t.attempt).catch(() => {});
        for (const l of this.listeners) l.taskManagerRegistered?.(req.taskManagerId, req.runningTasks);
      }
      this.slotPool.addTaskManager(req.taskManagerId, req.rpcAddress, req.numberOfSlots);
      this.updateDoubt(registration);
    }
    return { registrationId, heartbeatIntervalMs: this.heartbeatIntervalMs };
  }

  /** Records a heartbeat; NotFoundError when the TaskManager (or this registration) is unknown. */
  heartbeat(taskManagerId: string, registrationId: string): void {
    const tm = this.taskManagers.get(taskManagerId);
    if (!tm || (registrationId && tm.registrationId !== registrationId)) {
      throw new NotFoundError(`TaskManager ${taskManagerId} is not registered.`);
    }
    tm.lastHeartbeat = Date.now();
    if (tm.heartbeatOverdue || tm.onProbation) {
      tm.heartbeatOverdue = false;
      tm.onProbation = false;
      this.updateDoubt(tm);
    }
  }

  /** The registration of a live TaskManager, or undefined. */
  taskManager(taskManagerId: string): TaskManagerRegistration | undefined {
    return this.taskManagers.get(taskManagerId);
  }

  /** Every registered TaskManager, in registration order. */
  registrations(): TaskManagerRegistration[] {
    return [...this.taskManagers.values()];
  }

  /** Number of registered TaskManagers. */
  get numberOfTaskManagers(): number {
    return this.taskManagers.size;
  }

  /**
   * Marks TaskManagers whose last heartbeat is older than the timeout as lost, and holds back
   * the slots of those whose heartbeats are overdue. `recheck` defers the loss decision until
   * the heartbeats already received are processed (see {@link start}); without it (tests,
   * an explicit `now`) the decision is immediate.
   */
  checkHeartbeats(now = Date.now(), recheck?: (overdue: TaskManagerRegistration[]) => void): void {
    const timedOut: TaskManagerRegistration[] = [];
    for (const tm of [...this.taskManagers.values()]) {
      const silentMs = now - tm.lastHeartbeat;
      if (silentMs > this.heartbeatTimeoutMs) timedOut.push(tm);
      const overdue = silentMs > this.overdueAfterMs;
      if (overdue !== (tm.heartbeatOverdue ?? false)) {
        tm.heartbeatOverdue = overdue;
        this.updateDoubt(tm);
      }
    }
    if (timedOut.length === 0) return;
    if (recheck) recheck(timedOut);
    else for (const tm of timedOut) this.loseSilent(tm, now);
  }

  private loseSilent(tm: TaskManagerRegistration, now: number): void {
    const silentMs = now - tm.lastHeartbeat;
    if (silentMs <= this.heartbeatTimeoutMs) return;
    if (this.lostToSilence.size >= 1024) this.lostToSilence.clear();
    this.lostToSilence.add(tm.taskManagerId);
    this.loseTaskManager(tm, `TaskManager ${tm.taskManagerId} at ${tm.address} is lost: no heartbeat for ${silentMs} ms (heartbeat.timeout ${this.heartbeatTimeoutMs} ms)`);
  }

  private updateDoubt(tm: TaskManagerRegistration): void {
    if (this.taskManagers.get(tm.taskManagerId) !== tm) return;
    this.slotPool.setInDoubt(tm.taskManagerId, tm.connectionInDoubt === true || tm.heartbeatOverdue === true || tm.onProbation === true);
  }

  private loseTaskManager(tm: TaskManagerRegistration, cause: string): void {
    if (this.taskManagers.get(tm.taskManagerId) !== tm) return;
    this.taskManagers.delete(tm.taskManagerId);
    this.slotPool.removeTaskManager(tm.taskManagerId);
    tm.client.close();
    this.liveness.get(tm.taskManagerId)?.close();
    this.liveness.delete(tm.taskManagerId);
    this.log.warn({ taskManagerId: tm.taskManagerId, address: tm.address }, cause);
    for (const l of this.listeners) l.taskManagerLost(tm.taskManagerId, tm.address, cause);
  }
}
