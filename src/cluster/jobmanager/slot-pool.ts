/**
 * The slots of all registered TaskManagers and which job holds which. Jobs request all their
 * slots at once (all or nothing, so two half-served jobs never deadlock); a request that cannot
 * be served waits for TaskManagers to register or jobs to release slots, up to a timeout.
 *
 * A TaskManager whose liveness is in doubt (its connection dropped and is being probed, or its
 * heartbeats are overdue) stays registered but its free slots are not handed out until it is
 * heard from again: a restart must not deploy to a process that is dead or stopped and wait
 * for the deployment to time out (then fail over once more).
 */
import { FlussError, TimeoutError } from '../../core/errors.js';
import { assignSlots, type AllocatedSlot, type TaskManagerFreeSlots } from './slot-assignment.js';

interface TaskManagerSlots {
  taskManagerId: string;
  address: string;
  /** Job id holding each slot, or undefined when free. */
  slots: (string | undefined)[];
}

interface PendingRequest {
  jobId: string;
  n: number;
  resolve(slots: AllocatedSlot[]): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Slot accounting of the ResourceManager. */
export class SlotPool {
  private readonly taskManagers = new Map<string, TaskManagerSlots>();
  private pending: PendingRequest[] = [];
  /** TaskManagers whose free slots are held back while their liveness is in doubt. */
  private readonly inDoubt = new Set<string>();

  /** Adds a TaskManager's slots, or updates them on re-registration (allocations are kept). */
  addTaskManager(taskManagerId: string, address: string, numberOfSlots: number): void {
    const existing = this.taskManagers.get(taskManagerId);
    if (existing) {
      existing.address = address;
      const slots = existing.slots.slice(0, numberOfSlots);
      // Keep allocations beyond the new count: their tasks still run until told otherwise.
      for (let i = numberOfSlots; i < existing.slots.length; i++) if (existing.slots[i] !== undefined) slots[i] = existing.slots[i];
      while (slots.length < numberOfSlots) slots.push(undefined);
      existing.slots = slots;
    } else {
      this.taskManagers.set(taskManagerId, { taskManagerId, address, slots: new Array<string | undefined>(numberOfSlots).fill(undefined) });
    }
    this.servePending();
  }

  /** Removes a lost TaskManager; returns the ids of the jobs that held slots on it. */
  removeTaskManager(taskManagerId: string): string[] {
    const tm = this.taskManagers.get(taskManagerId);
    if (!tm) return [];
    this.taskManagers.delete(taskManagerId);
    this.inDoubt.delete(taskManagerId);
    return [...new Set(tm.slots.filter((s): s is string => s !== undefined))];
  }

  /**
   * Marks a TaskManager's liveness as in doubt (its free slots are not allocated) or confirmed
   * (they are again, and waiting requests are served).
   */
  setInDoubt(taskManagerId: string, inDoubt: boolean): void {
    if (inDoubt) {
      if (this.taskManagers.has(taskManagerId)) this.inDoubt.add(taskManagerId);
      return;
    }
    if (this.inDoubt.delete(taskManagerId)) this.servePending();
  }

  /** True while slots of `taskManagerId` are held back (see {@link setInDoubt}). */
  isInDoubt(taskManagerId: string): boolean {
    return this.inDoubt.has(taskManagerId);
  }

  /** Free slot count. */
  get freeSlots(): number {
    let n = 0;
    for (const tm of this.taskManagers.values()) for (const s of tm.slots) if (s === undefined) n++;
    return n;
  }

  /** Slot count of all registered TaskManagers. */
  get totalSlots(): number {
    let n = 0;
    for (const tm of this.taskManagers.values()) n += tm.slots.length;
    return n;
  }

  /** Total and free slots of one TaskManager (zeros when unknown). */
  slotsOfTaskManager(taskManagerId: string): { total: number; free: number } {
    const tm = this.taskManagers.get(taskManagerId);
    if (!tm) return { total: 0, free: 0 };
    return { total: tm.slots.length, free: tm.slots.filter((s) => s === undefined).length };
  }

  /** Slots currently held by `jobId`. */
  slotsOf(jobId: string): AllocatedSlot[] {
    const out: AllocatedSlot[] = [];
    for (const tm of this.taskManagers.values()) {
      tm.slots.forEach((owner, slotIndex) => {
        if (owner === jobId) out.push({ taskManagerId: tm.taskManagerId, address: tm.address, slotIndex });
      });
    }
    return out;
  }

  /**
   * Allocates `n` slots to `jobId`, waiting up to `timeoutMs` for them. Rejects with
   * TimeoutError naming what was missing, or with the abort reason when `signal` fires.
   */
  requestSlots(jobId: string, n: number, timeoutMs: number, signal?: AbortSignal): Promise<AllocatedSlot[]> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const now = this.tryAllocate(jobId, n);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const request: PendingRequest = {
        jobId,
        n,
        resolve,
        reject,
        signal,
        timer: setTimeout(() => {
          this.dropPending(request);
          reject(
            new TimeoutError(
              `Could not acquire the required slots: the job needs ${n} slots, the cluster has ${this.freeSlots} free (${this.totalSlots} total).`,
            ),
          );
        }, timeoutMs),
      };
      if (signal) {
        request.onAbort = () => {
          this.dropPending(request);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', request.onAbort, { once: true });
      }
      this.pending.push(request);
    });
  }

  /** Frees every slot held by `jobId` and serves waiting requests. */
  releaseSlots(jobId: string): void {
    for (const tm of this.taskManagers.values()) {
      for (let i = 0; i < tm.slots.length; i++) if (tm.slots[i] === jobId) tm.slots[i] = undefined;
    }
    this.servePending();
  }

  /** Rejects every waiting request (shutdown). */
  close(cause: Error): void {
    for (const request of [...this.pending]) {
      this.dropPending(request);
      request.reject(cause);
    }
  }

  private tryAllocate(jobId: string, n: number): AllocatedSlot[] | undefined {
    const free: TaskManagerFreeSlots[] = [];
    for (const tm of this.taskManagers.values()) {
      if (this.inDoubt.has(tm.taskManagerId)) continue;
      const freeSlotIndices: number[] = [];
      tm.slots.forEach((owner, i) => owner === undefined && freeSlotIndices.push(i));
      free.push({ taskManagerId: tm.taskManagerId, address: tm.address, freeSlotIndices });
    }
    const assigned = assignSlots(free, n);
    if (!assigned) return undefined;
    for (const slot of assigned) this.taskManagers.get(slot.taskManagerId)!.slots[slot.slotIndex] = jobId;
    return assigned;
  }

  private servePending(): void {
    for (const request of [...this.pending]) {
      const slots = this.tryAllocate(request.jobId, request.n);
      if (!slots) continue;
      this.dropPending(request);
      request.resolve(slots);
    }
  }

  private dropPending(request: PendingRequest): void {
    clearTimeout(request.timer);
    if (request.onAbort) request.signal?.removeEventListener('abort', request.onAbort);
    this.pending = this.pending.filter((r) => r !== request);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new FlussError('INTERNAL', 'slot request aborted');
}
