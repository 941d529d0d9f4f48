/**
 * Periodic triggering of a job's checkpoints (Flink's CheckpointCoordinator timer): every
 * interval, unless the max concurrent checkpoints are in flight (then as soon as one completes
 * or aborts) or the min pause after the last completed checkpoint has not passed yet.
 */
import type { CheckpointSettings } from '../common/job-graph.js';
import type { CheckpointScheduler } from './checkpoint-coordinator-types.js';

/** What periodic triggering asks of its CheckpointCoordinator. */
export interface PeriodicCheckpointTriggerContext {
  settings: CheckpointSettings;
  scheduler: CheckpointScheduler;
  /** At most this many checkpoints in flight. */
  maxConcurrent: number;
  /** Checkpoints (not savepoints) in flight, completed ones still settling included. */
  inFlight: () => number;
  /** When the last checkpoint completed (scheduler time). */
  lastCompletionTime: () => number;
  /** Triggers a checkpoint (its failures are counted and reported by the coordinator). */
  trigger: () => void;
}

/** The periodic checkpoint timer of one job. */
export class PeriodicCheckpointTrigger {
  private started = false;
  private cancelTimer: (() => void) | undefined;
  /** A trigger waits for a checkpoint in flight to complete or abort. */
  private queued = false;

  constructor(private readonly ctx: PeriodicCheckpointTriggerContext) {}

  /** True while periodic checkpoints are scheduled. */
  get isStarted(): boolean {
    return this.started;
  }

  /** Starts the timer; the first checkpoint follows after `initialDelayMs`. */
  start(initialDelayMs: number): void {
    this.started = true;
    this.schedule(initialDelayMs);
  }

  /** Stops the timer; checkpoints in flight continue. */
  stop(): void {
    this.started = false;
    this.queued = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /**
   * The next checkpoint is due now rather than at the end of the interval (the sources of a
   * bounded job ended). In flight → queued behind it; within the min pause → after it.
   */
  fireNow(): void {
    if (!this.started || this.queued) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.onTimer();
  }

  /** A checkpoint completed or aborted: a queued trigger goes now. */
  releaseQueued(): void {
    if (!this.queued || !this.started) return;
    this.queued = false;
    this.onTimer();
  }

  private schedule(delayMs: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.ctx.scheduler.schedule(() => {
      this.cancelTimer = undefined;
      this.onTimer();
    }, delayMs);
  }

  private onTimer(): void {
    if (!this.started) return;
    if (this.ctx.inFlight() >= this.ctx.maxConcurrent) {
      // Triggered as soon as one completes or aborts.
      this.queued = true;
      return;
    }
    const pauseLeft = this.ctx.lastCompletionTime() + this.ctx.settings.minPauseMs - this.ctx.scheduler.now();
    if (pauseLeft > 0) {
      this.schedule(pauseLeft);
      return;
    }
    this.schedule(this.ctx.settings.intervalMs);
    this.ctx.trigger();
  }
}
