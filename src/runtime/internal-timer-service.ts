/**
 * Timers of one keyed operator: event-time timers fire when the watermark passes them,
 * processing-time timers when the task's mailbox sees they are due. At most one timer per
 * (key, namespace, timestamp) and domain. Firing sets the key as current in the keyed state
 * backend, so `onTimer` reads that key's state.
 */
import type { TimerService } from '../api/functions.js';
import { keyIdentity, VOID_NAMESPACE, type KeyedStateBackend, type StateNamespace } from '../state/keyed-state-backend.js';
import { TimerHeap, type Timer } from './timer-heap.js';

/** Asks the task to wake its mailbox at a processing time. */
export interface ProcessingTimeService {
  now(): number;
  /** The task fires due processing-time timers at or after `timestamp`. */
  requestWakeUp(timestamp: number): void;
}

/** Receives fired timers. */
export type TimerCallback = (timer: Timer, domain: 'EVENT_TIME' | 'PROCESSING_TIME') => void;

/** The timers of one keyed operator in one subtask. */
export class InternalTimerService implements TimerService {
  private readonly eventTimers = new TimerHeap();
  private readonly processingTimers = new TimerHeap();
  private readonly eventIndex = new Map<string, Timer>();
  private readonly processingIndex = new Map<string, Timer>();
  private seq = 0;
  private watermark = Number.NEGATIVE_INFINITY;
  private onTimer: TimerCallback = () => undefined;

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly processingTime: ProcessingTimeService,
  ) {}

  /** Sets the operator callback that handles fired timers. */
  setCallback(cb: TimerCallback): void {
    this.onTimer = cb;
  }

  currentProcessingTime(): number {
    return this.processingTime.now();
  }

  currentWatermark(): number {
    return this.watermark;
  }

  registerEventTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    this.register(this.eventTimers, this.eventIndex, timestamp, namespace);
  }

  registerProcessingTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    const t = this.register(this.processingTimers, this.processingIndex, timestamp, namespace);
    if (t) this.processingTime.requestWakeUp(timestamp);
  }

  deleteEventTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    this.remove(this.eventIndex, timestamp, namespace);
  }

  deleteProcessingTimeTimer(timestamp: number, namespace: StateNamespace = VOID_NAMESPACE): void {
    this.remove(this.processingIndex, timestamp, namespace);
  }

  private id(timestamp: number, namespace: StateNamespace): string {
    return `${timestamp}\u0001${String(namespace)}\u0001${String(keyIdentity(this.backend.getCurrentKey()))}`;
  }

  private register(heap: TimerHeap, index: Map<string, Timer>, timestamp: number, namespace: StateNamespace): Timer | undefined {
    if (!Number.isFinite(timestamp)) throw new RangeError(`timer timestamp must be a finite number, got ${timestamp}`);
    const id = this.id(timestamp, namespace);
    if (index.has(id)) return undefined;
    const timer: Timer = {
      timestamp,
      key: this.backend.getCurrentKey(),
      keyGroup: this.backend.getCurrentKeyGroup(),
      namespace,
      seq: this.seq++,
      cancelled: false,
    };
    index.set(id, timer);
    heap.push(timer);
    return timer;
  }

  private remove(index: Map<string, Timer>, timestamp: number, namespace: StateNamespace): void {
    const id = this.id(timestamp, namespace);
    const t = index.get(id);
    if (!t) return;
    t.cancelled = true;
    index.delete(id);
  }

  /** Fires every event-time timer with timestamp <= `watermark`, in timestamp order. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    this.fire(this.eventTimers, this.eventIndex, watermark, 'EVENT_TIME');
  }

  /** Fires every processing-time timer due at `now`. */
  fireProcessingTimers(now: number): void {
    this.fire(this.processingTimers, this.processingIndex, now, 'PROCESSING_TIME');
    const next = this.nextProcessingTimer();
    if (next !== undefined) this.processingTime.requestWakeUp(next);
  }

  /** Timestamp of the earliest live processing-time timer. */
  nextProcessingTimer(): number | undefined {
    let t = this.processingTimers.peek();
    while (t && t.cancelled) {
      this.processingTimers.pop();
      t = this.processingTimers.peek();
    }
    return t?.timestamp;
  }

  private fire(heap: TimerHeap, index: Map<string, Timer>, upTo: number, domain: 'EVENT_TIME' | 'PROCESSING_TIME'): void {
    for (let t = heap.peek(); t && t.timestamp <= upTo; t = heap.peek()) {
      heap.pop();
      if (t.cancelled) continue;
      index.delete(`${t.timestamp}\u0001${String(t.namespace)}\u0001${String(keyIdentity(t.key))}`);
      this.backend.setCurrentKeyAndKeyGroup(t.key, t.keyGroup);
      this.onTimer(t, domain);
    }
  }

  /** Live timer counts (tests, metrics). */
  numTimers(): { eventTime: number; processingTime: number } {
    return { eventTime: this.eventIndex.size, processingTime: this.processingIndex.size };
  }
}
