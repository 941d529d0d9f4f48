/**
 * Timers of one keyed operator: event-time timers fire when the watermark passes them,
 * processing-time timers when the task's mailbox sees they are due. At most one timer per
 * (key, namespace, timestamp) and domain. Timers are stored in the keyed state backend by key
 * group (so they are snapshotted and rescaled with the state); this service keeps the index:
 * per domain a priority queue of this subtask's timers plus a map for dedupe and deletion,
 * rebuilt from the backend by {@link InternalTimerService.loadTimers} on restore. Firing sets
 * the key as current in the backend, so `onTimer` reads that key's state. Both firing paths
 * run on the task's mailbox, so `onTimer` never interleaves with `processElement`.
 */
import type { TimerService } from '../api/functions.js';
import {
  timerId,
  VOID_NAMESPACE,
  type KeyedStateBackend,
  type StateNamespace,
  type TimeDomain,
  type TimerEntry,
} from '../state/keyed-state-backend.js';
import { TimerHeap, type Timer } from './timer-heap.js';

/** Asks the task to wake its mailbox at a processing time. */
export interface ProcessingTimeService {
  now(): number;
  /** The task fires due processing-time timers at or after `timestamp`. */
  requestWakeUp(timestamp: number): void;
}

/** Receives fired timers. */
export type TimerCallback = (timer: Timer, domain: TimeDomain) => void;

/** The index of one domain: ordered queue plus identity map. */
interface TimerQueue {
  readonly domain: TimeDomain;
  readonly heap: TimerHeap;
  readonly index: Map<string, Timer>;
}

/** The timers of one keyed operator in one subtask. */
export class InternalTimerService implements TimerService {
  private readonly eventTime: TimerQueue = { domain: 'EVENT_TIME', heap: new TimerHeap(), index: new Map() };
  private readonly processingTime: TimerQueue = { domain: 'PROCESSING_TIME', heap: new TimerHeap(), index: new Map() };
  private seq = 0;
  private watermark = Number.NEGATIVE_INFINITY;
  private onTimer: TimerCallback = () => undefined;

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly processingTimeService: ProcessingTimeService,
  ) {}

  /** Sets the operator callback that handles fired timers. */
  setCallback(cb: TimerCallback): void {
    this.onTimer = cb;
  }

  /** Rebuilds the index from the timers stored in the backend (after a restore). */
  async loadTimers(): Promise<void> {
    for await (const t of this.backend.timers()) {
      const queue = t.domain === 'EVENT_TIME' ? this.eventTime : this.processingTime;
      this.index(queue, t.timestamp, t.key, t.keyGroup, t.namespace);
    }
    const next = this.nextProcessingTimer();
    if (next !== undefined) this.processingTimeService.requestWakeUp(next);
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
    this.remove(this.eventTime, timestamp, namespace);
  }

  deleteProcessingTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    this.remove(this.processingTime, timestamp, namespace);
  }

  private register(queue: TimerQueue, timestamp: number, namespace: StateNamespace): boolean {
    if (!Number.isFinite(timestamp)) throw new RangeError(`timer timestamp must be a finite number, got ${timestamp}`);
    const key = this.backend.getCurrentKey();
    const keyGroup = this.backend.getCurrentKeyGroup();
    if (!this.index(queue, timestamp, key, keyGroup, namespace)) return false;
    this.backend.putTimer({ domain: queue.domain, timestamp, key, keyGroup, namespace });
    return true;
  }

  /** Adds a timer to the index; false when it exists. */
  private index(queue: TimerQueue, timestamp: number, key: unknown, keyGroup: number, namespace: StateNamespace): boolean {
    const id = timerId({ timestamp, namespace, key });
    if (queue.index.has(id)) return false;
    const timer: Timer = { timestamp, key, keyGroup, namespace, seq: this.seq++, cancelled: false };
    queue.index.set(id, timer);
    queue.heap.push(timer);
    return true;
  }

  private remove(queue: TimerQueue, timestamp: number, namespace: StateNamespace): void {
    const key = this.backend.getCurrentKey();
    const id = timerId({ timestamp, namespace, key });
    const t = queue.index.get(id);
    if (!t) return;
    t.cancelled = true;
    queue.index.delete(id);
    this.backend.deleteTimer(entryOf(queue.domain, t));
  }

  /** Fires every event-time timer with timestamp <= `watermark`, in timestamp order. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    this.fire(this.eventTime, watermark);
  }

  /** Fires every processing-time timer due at `now`. */
  fireProcessingTimers(now: number): void {
    this.fire(this.processingTime, now);
    const next = this.nextProcessingTimer();
    if (next !== undefined) this.processingTimeService.requestWakeUp(next);
  }

  /** Timestamp of the earliest live processing-time timer. */
  nextProcessingTimer(): number | undefined {
    const heap = this.processingTime.heap;
    let t = heap.peek();
    while (t && t.cancelled) {
      heap.pop();
      t = heap.peek();
    }
    return t?.timestamp;
  }

  private fire(queue: TimerQueue, upTo: number): void {
    const heap = queue.heap;
    for (let t = heap.peek(); t && t.timestamp <= upTo; t = heap.peek()) {
      heap.pop();
      if (t.cancelled) continue;
      queue.index.delete(timerId(t));
      this.backend.deleteTimer(entryOf(queue.domain, t));
      this.backend.setCurrentKeyAndKeyGroup(t.key, t.keyGroup);
      this.onTimer(t, queue.domain);
    }
  }

  /** Live timer counts (tests, metrics). */
  numTimers(): { eventTime: number; processingTime: number } {
    return { eventTime: this.eventTime.index.size, processingTime: this.processingTime.index.size };
  }
}

function entryOf(domain: TimeDomain, t: Timer): TimerEntry {
  return { domain, timestamp: t.timestamp, key: t.key, keyGroup: t.keyGroup, namespace: t.namespace };
}
