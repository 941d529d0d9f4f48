/**
 * The timers of one domain when the backend holds them in memory (the memory backend's
 * {@link HeapTimerQueue}): the timer service registers, deletes and fires straight on the
 * backend's queue, which snapshots read too, so each timer is held once (Flink's heap timers).
 * Firing takes each due timer off the queue, sets its key as current and calls back, until none
 * is due or the budget's deadline passed.
 */
import { performance } from 'node:perf_hooks';
import type { KeyedStateBackend, StateNamespace, TimeDomain } from '../state/keyed-state-backend.js';
import type { FiredTimer, HeapTimerQueue } from '../state/heap-timer-queue.js';

/** Timers fired between two looks at the clock; also the least a run fires, so it progresses. */
const FIRE_CLOCK_CHECK = 32;

/** One domain's timers on a backend's in-memory queue. */
export class HeapTimers {
  /** True while a firing run stopped at the deadline with due timers left. */
  incomplete = false;
  /** Never waits for loads: every timer is in memory. */
  readonly pendingLoad = undefined;

  constructor(
    readonly domain: TimeDomain,
    private readonly backend: KeyedStateBackend,
    private readonly queue: HeapTimerQueue,
  ) {}

  /** Timers held. */
  get size(): number {
    return this.queue.size;
  }

  /** Registers the key's timer; false when it exists. */
  register(key: unknown, _keyGroup: number, timestamp: number, namespace: StateNamespace): boolean {
    return this.queue.add(key, timestamp, namespace);
  }

  /** Deletes the key's timer (no-op when absent). */
  remove(key: unknown, _keyGroup: number, timestamp: number, namespace: StateNamespace): void {
    this.queue.remove(key, timestamp, namespace);
  }

  /** Fires due timers in order until none is left (true) or the deadline passed (false: call again). */
  fire(upTo: number, budget: { deadline: number }, onTimer: (t: FiredTimer) => void): boolean {
    let fired = 0;
    for (;;) {
      if (fired >= FIRE_CLOCK_CHECK && fired % FIRE_CLOCK_CHECK === 0 && budget.deadline !== Infinity && performance.now() > budget.deadline) {
        this.incomplete = true;
        return false;
      }
      const t = this.queue.poll(upTo);
      if (t === undefined) break;
      fired++;
      this.backend.setCurrentKeyAndKeyGroup(t.key, t.keyGroup);
      onTimer(t);
    }
    this.incomplete = false;
    return true;
  }

  /** Timestamp of the earliest timer. */
  nextTimestamp(): number | undefined {
    return this.queue.peekTimestamp();
  }
}
