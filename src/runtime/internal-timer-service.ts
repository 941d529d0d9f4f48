/**
 * Timers of one keyed operator: event-time timers fire when the watermark passes them,
 * processing-time timers when the task's mailbox sees they are due. At most one timer per
 * (key, namespace, timestamp) and domain. Timers are stored in the keyed state backend by key
 * group (so they are snapshotted and rescaled with the state). Per domain, this service fires
 * from the memory backend's own timer queue ({@link HeapTimers}: each timer held once), or keeps
 * a {@link TimerQueue}: only a bounded head of the queue for a backend that scans its timers in
 * time order (LevelDB, `cacheSize`), the rest loaded asynchronously as firing reaches it.
 * {@link InternalTimerService.loadTimers} rebuilds the queues on restore. Firing sets the key as current in the backend, so `onTimer` reads that
 * key's state. Both firing paths run on the task's mailbox, so `onTimer` never interleaves with
 * `processElement`.
 *
 * Firing is bounded by a {@link TimerFiringBudget} shared by the task's chain: once its deadline
 * passed, firing stops with the rest still queued (and still in the backend, so a snapshot
 * taken meanwhile holds them) and reports itself incomplete; the task fires the rest in its next
 * mailbox slices before it takes new input; so does a run waiting for a load ({@link
 * InternalTimerService.pendingLoad}: the task waits for it instead of spinning). Re-registering
 * an existing timer allocates nothing: the dedupe index is keyed by key, then a short per-key
 * list of (namespace, timestamp).
 */
import type { TimerService } from '../common/functions.js';
import { VOID_NAMESPACE, type KeyedStateBackend, type StateNamespace, type TimeDomain } from '../state/keyed-state-backend.js';
import type { FiredTimer } from '../state/heap-timer-queue.js';
import { TimerQueue } from './timer-queue.js';
import { HeapTimers } from './heap-timers.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Asks the task to wake its mailbox at a processing time. */
export interface ProcessingTimeService {
  now(): number;
  /** The task fires due processing-time timers at or after `timestamp`. */
  requestWakeUp(timestamp: number): void;
}

/** Receives fired timers. */
export type TimerCallback = (timer: FiredTimer, domain: TimeDomain) => void;

/**
 * How long timer firing may run: firing stops once `performance.now()` passed `deadline`
 * (the task moves it forward every mailbox slice). Unbounded by default.
 */
export interface TimerFiringBudget {
  deadline: number;
}

/** A budget that never runs out (test harnesses, operators driven outside a task). */
export function unboundedTimerBudget(): TimerFiringBudget {
  return { deadline: Number.POSITIVE_INFINITY };
}

/** Options of an {@link InternalTimerService}. */
export interface TimerServiceOptions {
  /**
   * Most timers per domain held in memory when the backend scans its timers in time order
   * (`state.backend.leveldb.timer-service.cache-size`); absent: every timer is held.
   */
  cacheSize?: number;
}

/** Default of `state.backend.leveldb.timer-service.cache-size`: timers per domain, operator and subtask held in memory. */
export const DEFAULT_TIMER_CACHE_SIZE = 4096;

/** The timers of one keyed operator in one subtask. */
export class InternalTimerService implements TimerService {
  private readonly eventTime: TimerQueue | HeapTimers;
  private readonly processingTime: TimerQueue | HeapTimers;
  /** Only the head of each queue is held in memory. */
  private readonly bounded: boolean;
  private watermark = Number.NEGATIVE_INFINITY;
  private onTimer: TimerCallback = () => undefined;
  private readonly fireEvent = (t: FiredTimer): void => this.onTimer(t, 'EVENT_TIME');
  private readonly fireProcessing = (t: FiredTimer): void => this.onTimer(t, 'PROCESSING_TIME');

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly processingTimeService: ProcessingTimeService,
    /** Bounds each firing run; shared by the timer services of one task. */
    private readonly budget: TimerFiringBudget = unboundedTimerBudget(),
    options: TimerServiceOptions = {},
  ) {
    const bound = backend.scanTimers !== undefined && options.cacheSize !== undefined ? Math.max(2, options.cacheSize) : undefined;
    this.bounded = bound !== undefined;
    if (!this.bounded && backend.timerQueue !== undefined) {
      this.eventTime = new HeapTimers('EVENT_TIME', backend, backend.timerQueue('EVENT_TIME'));
      this.processingTime = new HeapTimers('PROCESSING_TIME', backend, backend.timerQueue('PROCESSING_TIME'));
      return;
    }
    this.eventTime = new TimerQueue('EVENT_TIME', backend, bound);
    // A loaded chunk of processing-time timers may be due at once: the task is woken for them.
    this.processingTime = new TimerQueue('PROCESSING_TIME', backend, bound, () => this.wakeForProcessingTimers());
  }

  /** Sets the operator callback that handles fired timers. */
  setCallback(cb: TimerCallback): void {
    this.onTimer = cb;
  }

  /** Rebuilds the queues from the timers stored in the backend (after a restore): all of them, or the head. */
  async loadTimers(): Promise<void> {
    const event = this.eventTime;
    const processing = this.processingTime;
    // HeapTimers: the backend's queues hold the restored timers already.
    if (event instanceof TimerQueue && processing instanceof TimerQueue) {
      if (this.bounded) {
        await event.loadHead();
        await processing.loadHead();
      } else {
        for await (const t of this.backend.timers()) (t.domain === 'EVENT_TIME' ? event : processing).addRestored(t);
      }
    }
    this.wakeForProcessingTimers();
  }

  currentProcessingTime(): number {
    return this.processingTimeService.now();
  }

  currentWatermark(): number {
    return this.watermark;
  }

  registerEventTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    this.register(this.eventTime, timestamp, namespace);
  }

  registerProcessingTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    if (this.register(this.processingTime, timestamp, namespace)) this.processingTimeService.requestWakeUp(timestamp);
  }

  deleteEventTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    this.eventTime.remove(this.backend.getCurrentKey(), this.backend.getCurrentKeyGroup(), timestamp, namespace);
  }

  deleteProcessingTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    this.processingTime.remove(this.backend.getCurrentKey(), this.backend.getCurrentKeyGroup(), timestamp, namespace);
  }

  private register(queue: TimerQueue | HeapTimers, timestamp: number, namespace: StateNamespace): boolean {
    if (!Number.isFinite(timestamp)) throw new InvalidArgumentError(`timer timestamp must be a finite number, got ${timestamp}`);
    // -0 and 0 are one timer (one key in the backend's layout too).
    return queue.register(this.backend.getCurrentKey(), this.backend.getCurrentKeyGroup(), timestamp + 0, namespace);
  }

  /**
   * Fires every event-time timer with timestamp <= `watermark`, in timestamp order. Returns
   * false when the budget ran out first (or the next timers are being loaded): the rest stays
   * queued, and calling it again (with this or a later watermark) goes on where it stopped.
   */
  advanceWatermark(watermark: number): boolean {
    if (watermark > this.watermark) this.watermark = watermark;
    return this.eventTime.fire(this.watermark, this.budget, this.fireEvent);
  }

  /** Fires every processing-time timer due at `now`; false when the budget ran out first (see {@link advanceWatermark}). */
  fireProcessingTimers(now: number): boolean {
    const done = this.processingTime.fire(now, this.budget, this.fireProcessing);
    // Left-over due timers ask for an immediate wake-up: the task comes back for them next slice.
    this.wakeForProcessingTimers();
    return done;
  }

  private wakeForProcessingTimers(): void {
    const next = this.nextProcessingTimer();
    if (next !== undefined) this.processingTimeService.requestWakeUp(next);
  }

  /** True while a firing run stopped at the deadline (or waits for a load) with due timers left (either domain). */
  get hasPendingFiring(): boolean {
    return this.eventTime.incomplete || this.processingTime.incomplete;
  }

  /** True while event-time timers <= the current watermark are still to fire. */
  get hasPendingEventTimers(): boolean {
    return this.eventTime.incomplete;
  }

  /** A load of timers from the backend that firing waits for, if any (resolves once applied). */
  get pendingLoad(): Promise<void> | undefined {
    return this.eventTime.pendingLoad ?? this.processingTime.pendingLoad;
  }

  /** Timestamp of the earliest live processing-time timer (undefined while its chunk loads: the load wakes the task). */
  nextProcessingTimer(): number | undefined {
    return this.processingTime.nextTimestamp();
  }

  /** Timer counts held in memory (tests, metrics): all timers, or the head when bounded. */
  numTimers(): { eventTime: number; processingTime: number } {
    return { eventTime: this.eventTime.size, processingTime: this.processingTime.size };
  }
}
