/**
 * The memory backend's timers of one time domain, held once (Flink's `HeapPriorityQueueSet`):
 * the timer service fires from this queue and snapshots read it, copy-on-write.
 *
 * Timers are grouped by timestamp: per timestamp, a {@link CopyOnWriteMap} from key identity to
 * the key's namespace (or a {@link KeyTimers} when the key has several timers at that timestamp,
 * or is an object). A timer costs one Map slot; a min-heap holds the distinct timestamps. Timers
 * of one timestamp fire in the order their keys first registered one there. Key groups are not
 * stored: they are computed from the key when a timer fires or is snapshotted.
 */
import { assignToKeyGroup } from './key-groups.js';
import { keyIdentity, type StateNamespace, type TimeDomain, type TimerEntry } from './keyed-state-backend.js';
import type { SnapshotVersions } from './copy-on-write-versions.js';
import { CopyOnWriteMap, REMOVED } from './copy-on-write-map.js';
import { StateBackendError } from './state-errors.js';

/** A key's timers at one timestamp when they are not just one namespace of a self-identified key. */
export class KeyTimers {
  constructor(
    readonly key: unknown,
    readonly namespaces: readonly StateNamespace[],
  ) {}
}

/** What a timestamp's map holds per key identity. */
export type TimerSlot = StateNamespace | KeyTimers;

/** A timer taken off the queue to fire. */
export interface FiredTimer {
  readonly timestamp: number;
  readonly key: unknown;
  readonly keyGroup: number;
  readonly namespace: StateNamespace;
}

/** No key is being fired. */
const NONE: unique symbol = Symbol('none');

/** The timers of one domain of one memory backend. */
export class HeapTimerQueue {
  /** Timestamp → its timers. */
  readonly buckets = new Map<number, CopyOnWriteMap<unknown, TimerSlot>>();
  /** Min-heap of timestamps that have (or had) a bucket; `queued` says which are in it. */
  private readonly times: number[] = [];
  private readonly queued = new Set<number>();
  /** Live timers. */
  size = 0;
  // Firing walks one bucket in order; a key's several namespaces fire one after the other.
  private firing: CopyOnWriteMap<unknown, TimerSlot> | undefined = undefined;
  private cursor: Iterator<[unknown, TimerSlot | typeof REMOVED]> | undefined = undefined;
  private firingKey: unknown = NONE;

  constructor(
    readonly domain: TimeDomain,
    private readonly versions: SnapshotVersions,
    private readonly maxParallelism: number,
  ) {}

  /** Adds a timer; false when it exists. */
  add(key: unknown, timestamp: number, namespace: StateNamespace): boolean {
    const keyId = keyIdentity(key);
    let b = this.buckets.get(timestamp);
    if (b === undefined) this.buckets.set(timestamp, (b = new CopyOnWriteMap(this.versions, this.buckets as Map<unknown, CopyOnWriteMap<unknown, TimerSlot>>, timestamp)));
    if (!this.queued.has(timestamp)) {
      this.queued.add(timestamp);
      pushTime(this.times, timestamp);
    }
    const cur = b.get(keyId);
    if (cur === undefined) {
      b.set(keyId, keyId === key ? namespace : new KeyTimers(key, [namespace]));
    } else {
      const list = typeof cur === 'object' ? cur.namespaces : [cur];
      if (list.includes(namespace)) return false;
      b.set(keyId, new KeyTimers(key, [...list, namespace]));
    }
    this.size++;
    return true;
  }

  /** Removes a timer; false when absent. */
  remove(key: unknown, timestamp: number, namespace: StateNamespace): boolean {
    const b = this.buckets.get(timestamp);
    if (b === undefined) return false;
    const keyId = keyIdentity(key);
    const cur = b.get(keyId);
    if (cur === undefined) return false;
    if (typeof cur !== 'object') {
      if (cur !== namespace) return false;
      b.delete(keyId);
    } else {
      const i = cur.namespaces.indexOf(namespace);
      if (i < 0) return false;
      if (cur.namespaces.length === 1) b.delete(keyId);
      else b.set(keyId, new KeyTimers(cur.key, cur.namespaces.filter((_, j) => j !== i)));
    }
    this.size--;
    return true;
  }

  /** The earliest timestamp with a live timer, or undefined. */
  peekTimestamp(): number | undefined {
    for (;;) {
      const ts = this.times[0];
      if (ts === undefined) return undefined;
      const b = this.buckets.get(ts);
      if (b !== undefined && b.size > 0) return ts;
      this.dropEarliest();
    }
  }

  /** Takes the next timer due at or before `upTo` off the queue, or undefined when none is due. */
  poll(upTo: number): FiredTimer | undefined {
    let rewalked: unknown = undefined;
    for (;;) {
      const ts = this.peekTimestamp();
      if (ts === undefined || ts > upTo) return undefined;
      const b = this.buckets.get(ts)!;
      if (this.firing !== b) {
        this.firing = b;
        this.cursor = b.map.entries();
        this.firingKey = NONE;
      }
      // The key fired last may have more timers here (several namespaces, or one registered again).
      if (this.firingKey !== NONE) {
        const slot = b.get(this.firingKey);
        if (slot !== undefined) return this.take(b, ts, this.firingKey, slot);
        this.firingKey = NONE;
      }
      const r = this.cursor!.next();
      if (r.done) {
        // Live timers left behind the cursor (registered again in place of a removed key): walk again.
        if (rewalked === b) throw new StateBackendError(`the ${this.domain} timers at ${ts} count ${b.size} live but none was found`);
        rewalked = b;
        this.cursor = b.map.entries();
        continue;
      }
      const [keyId, slot] = r.value;
      if (slot === REMOVED) continue;
      this.firingKey = keyId;
      return this.take(b, ts, keyId, slot);
    }
  }

  /** Removes and returns one timer of `keyId` at `ts` (its first namespace). */
  private take(b: CopyOnWriteMap<unknown, TimerSlot>, ts: number, keyId: unknown, slot: TimerSlot): FiredTimer {
    let key: unknown = keyId;
    let namespace: StateNamespace;
    if (typeof slot !== 'object') {
      namespace = slot;
      b.delete(keyId);
    } else {
      key = slot.key;
      namespace = slot.namespaces[0]!;
      if (slot.namespaces.length === 1) b.delete(keyId);
      else b.set(keyId, new KeyTimers(key, slot.namespaces.slice(1)));
    }
    this.size--;
    return { timestamp: ts, key, keyGroup: assignToKeyGroup(key, this.maxParallelism), namespace };
  }

  private dropEarliest(): void {
    const ts = popTime(this.times)!;
    this.queued.delete(ts);
    const b = this.buckets.get(ts);
    if (b !== undefined && b === this.firing) this.firing = undefined;
  }

  /** Every live timer (restore bookkeeping, key group listing), in no particular order. */
  *live(): Iterable<TimerEntry> {
    for (const [timestamp, b] of this.buckets) {
      for (const [keyId, slot] of b.entries()) {
        for (const t of timersOfSlot(keyId, slot)) yield { domain: this.domain, timestamp, key: t.key, keyGroup: assignToKeyGroup(t.key, this.maxParallelism), namespace: t.namespace };
      }
    }
  }

  /** Removes every timer. */
  clear(): void {
    this.buckets.clear();
    this.times.length = 0;
    this.queued.clear();
    this.size = 0;
    this.firing = undefined;
    this.cursor = undefined;
    this.firingKey = NONE;
  }
}

/** The (key, namespace) pairs a stored slot stands for. */
export function timersOfSlot(keyId: unknown, slot: TimerSlot): { key: unknown; namespace: StateNamespace }[] {
  if (typeof slot !== 'object') return [{ key: keyId, namespace: slot }];
  return slot.namespaces.map((namespace) => ({ key: slot.key, namespace }));
}

function pushTime(a: number[], t: number): void {
  let i = a.length;
  a.push(t);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (a[parent]! <= t) break;
    a[i] = a[parent]!;
    i = parent;
  }
  a[i] = t;
}

function popTime(a: number[]): number | undefined {
  const top = a[0];
  const last = a.pop();
  const n = a.length;
  if (n > 0 && last !== undefined) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const m = l + 1 < n && a[l + 1]! < a[l]! ? l + 1 : l;
      if (a[m]! >= last) break;
      a[i] = a[m]!;
      i = m;
    }
    a[i] = last;
  }
  return top;
}
