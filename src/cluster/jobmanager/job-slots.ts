/**
 * The slots of one job as its JobMaster sees them: at most one request in flight, which a
 * cancel, a failover or a JobManager shutdown aborts, and the release of everything the job
 * holds once its tasks stopped.
 */
import type { AllocatedSlot } from './slot-assignment.js';
import type { SlotPool } from './slot-pool.js';

/** Requests and releases the slots of job `jobId` in the JobManager's slot pool. */
export class JobSlots {
  private request: AbortController | undefined;

  constructor(
    private readonly slotPool: SlotPool,
    private readonly jobId: string,
    /** `slot.request.timeout`. */
    private readonly timeoutMs: number,
  ) {}

  /** Requests `needed` slots; rejects when the request times out or is {@link abort}ed. */
  async acquire(needed: number): Promise<AllocatedSlot[]> {
    const controller = new AbortController();
    this.request = controller;
    try {
      return await this.slotPool.requestSlots(this.jobId, needed, this.timeoutMs, controller.signal);
    } finally {
      if (this.request === controller) this.request = undefined;
    }
  }

  /** Aborts the request in flight, if any, with `reason`. */
  abort(reason: Error): void {
    this.request?.abort(reason);
  }

  /** Returns every slot the job holds to the pool. */
  release(): void {
    this.slotPool.releaseSlots(this.jobId);
  }
}
