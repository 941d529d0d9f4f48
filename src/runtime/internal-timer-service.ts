/**
 * Timers of one keyed operator: event-time timers fire when the watermark passes them,
 * processing-time timers when the task's mailbox sees they are due. At most one timer per
 * (key, namespace, timestamp) and domain. Timers are stored in the keyed state backend by key
 * group (so they are snapshotted and rescaled with the state); this service keeps the index:
 * per domain a priority queue of this subtask's timers plus a map for dedupe and deletion,
 * rebuilt from the backend by {@link InternalTimerService.loadTimers} on restore. Firing sets
 * the key as current in the backend, so `onTimer` reads that key's state. Both firing paths
 * run on the task's mailbox, so `onTimer` never interleaves with `processElement`.
 *
 * Firing is bounded by a {@link TimerFiringBudget} shared by the task's chain: once its deadline
 * passed, firing stops with the rest still queued (and still in the backend, so a snapshot
 * taken meanwhile holds them) and reports itself incomplete; the task fires the rest in its next
 * mailbox slices before it takes new input. Re-registering an existing timer allocates nothing:
 * the dedupe index is keyed by key, then a short per-key list of (namespace, timestamp).
 */
import type { TimerService } from '../common/functions.js';
import { performance } from 'node:perf_hooks';
import {
  keyIdentity,
  VOID_NAMESPACE,
  type KeyedStateBackend,
  type StateNamespace,
  type TimeDomain,
  type TimerEntry,
} from '../state/keyed-state-backend.js';
import { TimerHeap, type Timer } from './timer-heap.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Asks the task to wake its mailbox at a processing time. */
export interface ProcessingTimeService {
  now(): number;
  /** The task fires due processing-time timers at or after `timestamp`. */
  requestWakeUp(timestamp: number): void;
}

/** Receives fired timers. */
export type TimerCallback = (timer: Timer, domain: TimeDomain) => void;

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

/** Timers fired between two looks at the clock; also the least a slice fires, so it progresses. */
const FIRE_CLOCK_CHECK = 32;

/** Per-key timers past this many are indexed by a (namespace, timestamp) map instead of a list. */
const LIST_LIMIT = 8;

/** The timers of one key: a short list, or a map by namespace then timestamp once it grows. */
type KeyTimers = Timer[] | Map<string | number, Map<number, Timer>>;

/** The index of one domain: ordered queue plus identity index (key, then namespace and timestamp). */
interface TimerQueue {
  readonly domain: TimeDomain;
  readonly heap: TimerHeap;
  readonly index: Map<unknown, KeyTimers>;
  /** Live timers in the index. */
  size: number;
  /** True while a firing run stopped at the budget's deadline with due timers left. */
  incomplete: boolean;
}

function newQueue(domain: TimeDomain): TimerQueue {
  return { domain, heap: new TimerHeap(), index: new Map(), size: 0, incomplete: false };
}

/** The timers of one keyed operator in one subtask. */
export class InternalTimerService implements TimerService {
  private readonly eventTime: TimerQueue = newQueue('EVENT_TIME');
  private readonly processingTime: TimerQueue = newQueue('PROCESSING_TIME');
  private seq = 0;
  private watermark = Number.NEGATIVE_INFINITY;
  private onTimer: TimerCallback = () => undefined;

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly processingTimeService: ProcessingTimeService,
    /** Bounds each firing run; shared by the timer services of one task. */
    private readonly budget: TimerFiringBudget = unboundedTimerBudget(),
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
    if (!Number.isFinite(timestamp)) throw new InvalidArgumentError(`timer timestamp must be a finite number, got ${timestamp}`);
    const key = this.backend.getCurrentKey();
    const keyGroup = this.backend.getCurrentKeyGroup();
    if (!this.index(queue, timestamp, key, keyGroup, namespace)) return false;
    this.backend.putTimer({ domain: queue.domain, timestamp, key, keyGroup, namespace });
    return true;
  }

  /** Adds a timer to the index; false when it exists. */
  private index(queue: TimerQueue, timestamp: number, key: unknown, keyGroup: number, namespace: StateNamespace): boolean {
    const id = keyIdentity(key);
    const perKey = queue.index.get(id);
    if (perKey !== undefined && findTimer(perKey, namespace, timestamp) !== undefined) return false;
    const timer: Timer = { timestamp, key, keyGroup, namespace, seq: this.seq++, cancelled: false };
    if (perKey === undefined) queue.index.set(id, [timer]);
    else if (Array.isArray(perKey) && perKey.length < LIST_LIMIT) perKey.push(timer);
    else queue.index.set(id, addToMap(perKey, timer));
    queue.size++;
    queue.heap.push(timer);
    return true;
  }

  /** Removes a timer from the index (not from the heap); returns it, or undefined when absent. */
  private unindex(queue: TimerQueue, key: unknown, namespace: StateNamespace, timestamp: number): Timer | undefined {
    const id = keyIdentity(key);
    const perKey = queue.index.get(id);
    if (perKey === undefined) return undefined;
    let t: Timer | undefined;
    if (Array.isArray(perKey)) {
      const i = indexInList(perKey, namespace, timestamp);
      if (i < 0) return undefined;
      t = perKey[i]!;
      // Order within a key's list does not matter: swap-remove.
      perKey[i] = perKey[perKey.length - 1]!;
      perKey.pop();
      if (perKey.length === 0) queue.index.delete(id);
    } else {
      const byTs = perKey.get(namespace);
      t = byTs?.get(timestamp);
      if (t === undefined) return undefined;
      byTs!.delete(timestamp);
      if (byTs!.size === 0) perKey.delete(namespace);
      if (perKey.size === 0) queue.index.delete(id);
    }
    queue.size--;
    return t;
  }

  private remove(queue: TimerQueue, timestamp: number, namespace: StateNamespace): void {
    const t = this.unindex(queue, this.backend.getCurrentKey(), namespace, timestamp);
    if (!t) return;
    t.cancelled = true;
    this.backend.deleteTimer(entryOf(queue.domain, t));
  }

  /**
   * Fires every event-time timer with timestamp <= `watermark`, in timestamp order. Returns
   * false when the budget ran out first: the rest stays queued, and calling it again (with this
   * or a later watermark) goes on where it stopped.
   */
  advanceWatermark(watermark: number): boolean {
    if (watermark > this.watermark) this.watermark = watermark;
    return this.fire(this.eventTime, this.watermark);
  }

  /** Fires every processing-time timer due at `now`; false when the budget ran out first (see {@link advanceWatermark}). */
  fireProcessingTimers(now: number): boolean {
    const done = this.fire(this.processingTime, now);
    // Left-over due timers ask for an immediate wake-up: the task comes back for them next slice.
    const next = this.nextProcessingTimer();
    if (next !== undefined) this.processingTimeService.requestWakeUp(next);
    return done;
  }

  /** True while a firing run stopped at the deadline with due timers left (either domain). */
  get hasPendingFiring(): boolean {
    return this.eventTime.incomplete || this.processingTime.incomplete;
  }

  /** True while event-time timers <= the current watermark are still to fire. */
  get hasPendingEventTimers(): boolean {
    return this.eventTime.incomplete;
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

  /** Fires due timers until none is left (true) or the budget's deadline passed (false). */
  private fire(queue: TimerQueue, upTo: number): boolean {
    const heap = queue.heap;
    const budget = this.budget;
    let fired = 0;
    for (let t = heap.peek(); t && t.timestamp <= upTo; t = heap.peek()) {
      if (fired >= FIRE_CLOCK_CHECK && fired % FIRE_CLOCK_CHECK === 0 && budget.deadline !== Infinity && performance.now() > budget.deadline) {
        queue.incomplete = true;
        return false;
      }
      heap.pop();
      if (t.cancelled) continue;
      fired++;
      this.unindex(queue, t.key, t.namespace, t.timestamp);
      this.backend.deleteTimer(entryOf(queue.domain, t));
      this.backend.setCurrentKeyAndKeyGroup(t.key, t.keyGroup);
      this.onTimer(t, queue.domain);
    }
    queue.incomplete = false;
    return true;
  }

  /** Live timer counts (tests, metrics). */
  numTimers(): { eventTime: number; processingTime: number } {
    return { eventTime: this.eventTime.size, processingTime: this.processingTime.size };
  }
}

function entryOf(domain: TimeDomain, t: Timer): TimerEntry {
  return { domain, timestamp: t.timestamp, key: t.key, keyGroup: t.keyGroup, namespace: t.namespace };
}

function sameTimer(t: Timer, namespace: StateNamespace, timestamp: number): boolean {
  return t.timestamp === timestamp && t.namespace === namespace;
}

function indexInList(list: Timer[], namespace: StateNamespace, timestamp: number): number {
  for (let i = 0; i < list.length; i++) if (sameTimer(list[i]!, namespace, timestamp)) return i;
  return -1;
}

function findTimer(perKey: KeyTimers, namespace: StateNamespace, timestamp: number): Timer | undefined {
  if (Array.isArray(perKey)) {
    const i = indexInList(perKey, namespace, timestamp);
    return i < 0 ? undefined : perKey[i];
  }
  return perKey.get(namespace)?.get(timestamp);
}

/** Adds `timer` to a key's map, converting a full list into one first. */
function addToMap(perKey: KeyTimers, timer: Timer): Map<string | number, Map<number, Timer>> {
  let map: Map<string | number, Map<number, Timer>>;
  if (Array.isArray(perKey)) {
    map = new Map();
    for (const t of perKey) putInMap(map, t);
  } else {
    map = perKey;
  }
  putInMap(map, timer);
  return map;
}

function putInMap(map: Map<string | number, Map<number, Timer>>, t: Timer): void {
  let byTs = map.get(t.namespace);
  if (!byTs) map.set(t.namespace, (byTs = new Map()));
  byTs.set(t.timestamp, t);
}
