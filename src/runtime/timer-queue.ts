/**
 * The timers of one domain of one keyed operator in one subtask: the ordered queue the timer
 * service fires from, and the identity index that dedupes and deletes.
 *
 * Unbounded (LevelDB without a timer cache size, as the operator test harness runs it): every
 * timer is held here as well as in the backend, and timers of equal timestamps fire in
 * registration order. (The memory backend holds its timers in a queue of its own, heap-timers.ts.)
 *
 * Bounded (a backend that stores timers durably and scans them in time order, LevelDB): memory
 * holds only the head, at most `bound` timers: exactly the live timers ordered before a
 * horizon (an order string, ordered-timer-store.ts); every timer at or past it is in the backend
 * only. A new timer past the horizon is written to the backend ("maybe stored": the queue does
 * not know whether it holds it); a small set of recently registered far timers spares the
 * rewrite when the same timer is registered again per record. Past the bound, the later half
 * of the head is dropped (it stays in the backend) and the horizon moves down. When firing
 * reaches the horizon with the head empty, the next chunk is loaded asynchronously: firing
 * reports itself incomplete until the load is applied (writes made meanwhile are replayed over
 * the loaded chunk). Timers of equal timestamps fire in order of key group, key and namespace.
 */
import { performance } from 'node:perf_hooks';
import { KeyWriter } from '../state/key-codec.js';
import { keyIdentity, type KeyedStateBackend, type StateNamespace, type TimeDomain, type TimerEntry } from '../state/keyed-state-backend.js';
import { timerOrderKey, type OrderedTimer } from '../state/ordered-timer-store.js';
import { StateBackendError } from '../state/state-errors.js';
import { compareTimers, TimerHeap, type Timer } from './timer-heap.js';
import { TimerIndex } from './timer-index.js';

/** Timers fired between two looks at the clock; also the least a run fires, so it progresses. */
const FIRE_CLOCK_CHECK = 32;

/**
 * Far timers remembered per timer of the bound, per generation: a timer each record registers
 * again (a window's end timer) is written once while it stays in the set, not once per record.
 */
const RECENT_PER_BOUND = 8;

/** A write past the horizon made while a load runs, replayed over the loaded chunk. */
interface LoadOp {
  readonly put: boolean;
  readonly timer: Timer;
}

/** One domain's timers. */
export class TimerQueue {
  private readonly heap = new TimerHeap();
  private readonly index = new TimerIndex();
  /** Bounded: memory holds exactly the live timers ordered before it; undefined: memory holds all. */
  private horizon: string | undefined = undefined;
  private horizonTs = Number.POSITIVE_INFINITY;
  /** Far timers registered since the horizon last moved up (two generations, each up to {@link RECENT_PER_BOUND} × `bound`). */
  private recent = new TimerIndex();
  private older = new TimerIndex();
  private loading: Promise<void> | undefined = undefined;
  private loadOps: LoadOp[] | undefined = undefined;
  /** Changes whenever the horizon moves: a load started before is stale. */
  private generation = 0;
  private failure: Error | undefined = undefined;
  private seq = 0;
  private readonly w = new KeyWriter(64);
  /** Timers a load brings in, and a shrink keeps. */
  private readonly chunk: number;
  /** True while a firing run stopped (deadline, or a load) with due timers left. */
  incomplete = false;

  /**
   * @param bound the most timers held in memory; undefined: all (the backend must then not be asked to scan)
   * @param onLoaded called after a load was applied (or failed)
   */
  constructor(
    readonly domain: TimeDomain,
    private readonly backend: KeyedStateBackend,
    private readonly bound: number | undefined,
    private readonly onLoaded: () => void = () => undefined,
  ) {
    this.chunk = Math.max(1, Math.floor((bound ?? 2) / 2));
  }

  /** Timers held in memory (the head when bounded). */
  get size(): number {
    return this.index.size;
  }

  /** The load in progress, if any (resolves once applied). */
  get pendingLoad(): Promise<void> | undefined {
    return this.loading;
  }

  /** Registers the current key's timer; false when it exists (or is known to be stored). */
  register(key: unknown, keyGroup: number, timestamp: number, namespace: StateNamespace): boolean {
    const keyId = keyIdentity(key);
    if (this.horizon === undefined || timestamp < this.horizonTs) return this.add(keyId, key, keyGroup, timestamp, namespace, true);
    // Known before its order is computed (the common case: a window's timer registered again per record).
    if (timestamp === this.horizonTs && this.index.find(keyId, namespace, timestamp) !== undefined) return false;
    if (this.recent.find(keyId, namespace, timestamp) !== undefined) return false;
    const seen = this.older.remove(keyId, namespace, timestamp);
    if (seen !== undefined) {
      // Still registered again: it stays in the set past the next generation change.
      this.remember(keyId, seen);
      return false;
    }
    const order = this.farOrder(keyGroup, timestamp, key, namespace);
    if (order !== undefined && order < this.horizon) return this.add(keyId, key, keyGroup, timestamp, namespace, true, order);
    const t = newTimer(key, keyGroup, timestamp, namespace, 0, order ?? '');
    this.remember(keyId, t);
    this.backend.putTimer(entryOf(this.domain, t), true);
    this.loadOps?.push({ put: true, timer: t });
    return true;
  }

  /** Adds a far timer to the recent set; a full generation becomes the older one (the oldest is dropped). */
  private remember(keyId: unknown, t: Timer): void {
    if (this.recent.size >= RECENT_PER_BOUND * this.bound!) {
      this.older = this.recent;
      this.recent = new TimerIndex();
    }
    this.recent.add(keyId, t);
  }

  /** Deletes the current key's timer (no-op when absent). */
  remove(key: unknown, keyGroup: number, timestamp: number, namespace: StateNamespace): void {
    const keyId = keyIdentity(key);
    const t = this.index.remove(keyId, namespace, timestamp);
    if (t) {
      t.cancelled = true;
      this.backend.deleteTimer(entryOf(this.domain, t));
      return;
    }
    if (this.horizon === undefined || timestamp < this.horizonTs) return;
    const order = this.farOrder(keyGroup, timestamp, key, namespace);
    // Before the horizon and not in memory: there is no such timer.
    if (order !== undefined && order < this.horizon) return;
    this.recent.remove(keyId, namespace, timestamp);
    this.older.remove(keyId, namespace, timestamp);
    const gone = newTimer(key, keyGroup, timestamp, namespace, 0, order ?? '');
    this.backend.deleteTimer(entryOf(this.domain, gone));
    this.loadOps?.push({ put: false, timer: gone });
  }

  /** Adds a timer restored from the backend (unbounded queues; it is stored already). */
  addRestored(t: TimerEntry): void {
    this.add(keyIdentity(t.key), t.key, t.keyGroup, t.timestamp, t.namespace, false);
  }

  /** Bounded queues after a restore: loads the head of the backend's timers. */
  async loadHead(): Promise<void> {
    if (this.bound === undefined) return;
    this.horizon = '';
    this.horizonTs = Number.NEGATIVE_INFINITY;
    this.startLoad();
    await this.loading;
    if (this.failure) throw this.failure;
  }

  /**
   * Fires due timers in order until none is left (true), or the budget's deadline passed or the
   * next chunk is being loaded (false: call again).
   */
  fire(upTo: number, budget: { deadline: number }, onTimer: (t: Timer) => void): boolean {
    if (this.failure) throw this.failure;
    const heap = this.heap;
    let fired = 0;
    for (let t = heap.peek(); t && t.timestamp <= upTo; t = heap.peek()) {
      if (fired >= FIRE_CLOCK_CHECK && fired % FIRE_CLOCK_CHECK === 0 && budget.deadline !== Infinity && performance.now() > budget.deadline) {
        this.incomplete = true;
        return false;
      }
      heap.pop();
      if (t.cancelled) continue;
      fired++;
      this.index.remove(keyIdentity(t.key), t.namespace, t.timestamp);
      this.backend.deleteTimer(entryOf(this.domain, t));
      this.backend.setCurrentKeyAndKeyGroup(t.key, t.keyGroup);
      onTimer(t);
    }
    // Every due timer in memory fired; the backend holds more due ones past the horizon.
    if (this.horizon !== undefined && this.horizonTs <= upTo && this.index.size === 0) {
      this.startLoad();
      this.incomplete = true;
      return false;
    }
    this.incomplete = false;
    return true;
  }

  /** Timestamp of the earliest live timer (the horizon's when only the backend holds it). */
  nextTimestamp(): number | undefined {
    const heap = this.heap;
    let t = heap.peek();
    while (t && t.cancelled) {
      heap.pop();
      t = heap.peek();
    }
    if (t) return t.timestamp;
    return this.horizon !== undefined && this.loading === undefined ? this.horizonTs : undefined;
  }

  /** The order string of a timer at the horizon's timestamp, or any while a load records writes. */
  private farOrder(keyGroup: number, timestamp: number, key: unknown, namespace: StateNamespace): string | undefined {
    if (timestamp !== this.horizonTs && this.loadOps === undefined) return undefined;
    return timerOrderKey(this.w, keyGroup, timestamp, key, namespace);
  }

  /**
   * Adds a timer to memory (false when held); `put`: also to the backend, known not to hold it.
   * Past the bound the head shrinks, unless `loading` (a chunk goes in whole first).
   */
  private add(keyId: unknown, key: unknown, keyGroup: number, timestamp: number, namespace: StateNamespace, put: boolean, order?: string, loading = false): boolean {
    if (this.index.find(keyId, namespace, timestamp) !== undefined) return false;
    const bounded = this.bound !== undefined;
    const t = bounded
      ? newTimer(key, keyGroup, timestamp, namespace, 0, order ?? timerOrderKey(this.w, keyGroup, timestamp, key, namespace))
      : newTimer(key, keyGroup, timestamp, namespace, this.seq++, '');
    this.index.add(keyId, t);
    this.heap.push(t);
    if (put) this.backend.putTimer(entryOf(this.domain, t));
    if (bounded && !loading && this.index.size > this.bound!) this.shrink();
    return true;
  }

  /** Keeps the earliest `chunk` timers in memory; the horizon moves down to the first dropped. */
  private shrink(): void {
    const live = this.heap.takeAll().filter((t) => !t.cancelled);
    live.sort(compareTimers);
    const keep = this.chunk;
    for (let i = keep; i < live.length; i++) {
      const t = live[i]!;
      this.index.remove(keyIdentity(t.key), t.namespace, t.timestamp);
    }
    const first = live[keep]!;
    this.horizon = first.order;
    this.horizonTs = first.timestamp;
    live.length = keep;
    this.heap.resetSorted(live);
    this.generation++;
  }

  private startLoad(): void {
    if (this.loading !== undefined) return;
    const from = this.horizon!;
    const generation = this.generation;
    const ops: LoadOp[] = (this.loadOps = []);
    const done = (): void => {
      this.loading = undefined;
      this.loadOps = undefined;
      // Nothing waits any more: the next run (the pending watermark's, or the wake-up `onLoaded`
      // asks for) fires what is due now; a processing-time run must not hold input back until then.
      this.incomplete = false;
    };
    this.loading = this.backend.scanTimers!(this.domain, from, this.chunk + 1).then(
      (rows) => {
        done();
        // A shrink moved the horizon meanwhile: the chunk may not follow the head; the next run loads again.
        if (generation === this.generation) this.apply(rows, ops);
        this.onLoaded();
      },
      (cause: unknown) => {
        done();
        this.failure = new StateBackendError(`loading ${this.domain} timers from the state backend failed: ${(cause as Error).message}`, { cause });
        this.onLoaded();
      },
    );
  }

  /** Puts a loaded chunk (the first `chunk` rows; one more names the next horizon) into memory. */
  private apply(rows: OrderedTimer[], ops: LoadOp[]): void {
    const next = rows.length > this.chunk ? rows[this.chunk]! : undefined;
    const loaded = new Map<string, TimerEntry>();
    for (let i = 0; i < rows.length && i < this.chunk; i++) loaded.set(rows[i]!.order, rows[i]!);
    // Writes made while the scan ran, in order: the scan may or may not have seen them.
    for (const op of ops) {
      if (next !== undefined && op.timer.order >= next.order) continue;
      if (op.put) loaded.set(op.timer.order, entryOf(this.domain, op.timer));
      else loaded.delete(op.timer.order);
    }
    this.horizon = next?.order;
    this.horizonTs = next?.timestamp ?? Number.POSITIVE_INFINITY;
    this.generation++;
    this.recent.clear();
    this.older.clear();
    for (const [order, t] of loaded) this.add(keyIdentity(t.key), t.key, t.keyGroup, t.timestamp, t.namespace, false, order, true);
    if (this.index.size > this.bound!) this.shrink();
  }
}

function newTimer(key: unknown, keyGroup: number, timestamp: number, namespace: StateNamespace, seq: number, order: string): Timer {
  return { timestamp, key, keyGroup, namespace, seq, order, cancelled: false };
}

/** The backend's form of a timer. */
export function entryOf(domain: TimeDomain, t: Timer): TimerEntry {
  return { domain, timestamp: t.timestamp, key: t.key, keyGroup: t.keyGroup, namespace: t.namespace };
}
