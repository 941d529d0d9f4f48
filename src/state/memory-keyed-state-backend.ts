/**
 * Keyed state in memory: per state name, one table per owned key group mapping keys to their
 * namespaces and values; timers per domain and key group. Reads and writes are Map lookups;
 * nothing is copied, except by snapshots, which deep-copy the values they take (keeping their
 * classes) so that later in-place changes (ListState.add pushes onto the stored array) do not
 * leak into them.
 */
import { FailedPreconditionError } from '../core/errors.js';
import { TypeRegistry } from '../core/type-registry.js';
import { assignToKeyGroup, type KeyGroupRange } from './key-groups.js';
import {
  isReservedStateName,
  keyIdentity,
  TIMER_STATE_NAMES,
  timerDomainOfStateName,
  type KeyedStateBackend,
  type KeyedStateEntry,
  type KeyedStateKind,
  type StateNamespace,
  type TimeDomain,
  type TimerEntry,
  timerId,
} from './keyed-state-backend.js';
import { EventLoopSlices, ITEMS_PER_CLOCK_LOOK } from './event-loop-slices.js';
import { checkStateRegistration } from './state-registration.js';
import { cloneStateValue, resolveTypedValues } from './typed-values.js';

/** Entries of one key in one state. */
interface KeyEntry {
  key: unknown;
  byNamespace: Map<StateNamespace, unknown>;
}

/** One state: a table of keys per key group (index = keyGroup - range.start). */
interface StateTable {
  /** Undefined while known only from a restored snapshot, until the operator registers it. */
  kind: KeyedStateKind | undefined;
  groups: (Map<unknown, KeyEntry> | undefined)[];
}

/** Options of a {@link MemoryKeyedStateBackend}. */
export interface MemoryKeyedStateBackendOptions {
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  /** Named in errors. */
  operatorName: string;
  /** The job's registered types (default: none); descriptors add theirs on top. */
  types?: TypeRegistry;
}

/** The `memory` keyed state backend. */
export class MemoryKeyedStateBackend implements KeyedStateBackend {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  private readonly operatorName: string;
  private readonly tables = new Map<string, StateTable>();
  readonly types: TypeRegistry;
  /** Restored values still holding instances whose class is not named yet. */
  private unresolved: unknown[] = [];
  /** Per domain, per key group slot: timer id → timer. */
  private readonly timerTables: Record<TimeDomain, (Map<string, TimerEntry> | undefined)[]>;
  private currentKey: unknown = undefined;
  private currentKeyId: unknown = undefined;
  private currentKeyGroup = -1;
  /** Index of the current key group in the tables. */
  private currentSlot = -1;

  constructor(options: MemoryKeyedStateBackendOptions) {
    this.maxParallelism = options.maxParallelism;
    this.keyGroupRange = options.keyGroupRange;
    this.operatorName = options.operatorName;
    this.types = new TypeRegistry(options.types);
    this.timerTables = { EVENT_TIME: this.newGroups(), PROCESSING_TIME: this.newGroups() };
  }

  registerTypes(classes: readonly object[]): void {
    for (const c of classes) this.types.register(c);
    if (classes.length > 0 && this.unresolved.length > 0) this.unresolved = this.unresolved.filter((v) => resolveTypedValues(v, this.types));
  }

  private newGroups<T>(): (T | undefined)[] {
    return new Array<T | undefined>(this.keyGroupRange.end - this.keyGroupRange.start + 1).fill(undefined);
  }

  setCurrentKey(key: unknown): void {
    this.setCurrentKeyAndKeyGroup(key, assignToKeyGroup(key, this.maxParallelism));
  }

  setCurrentKeyAndKeyGroup(key: unknown, keyGroup: number): void {
    if (keyGroup < this.keyGroupRange.start || keyGroup > this.keyGroupRange.end) {
      throw new FailedPreconditionError(
        `${this.operatorName}: key ${String(key)} belongs to key group ${keyGroup}, outside this subtask's range ` +
          `[${this.keyGroupRange.start}, ${this.keyGroupRange.end}] (was the stream partitioned with keyBy?)`,
      );
    }
    this.currentKey = key;
    this.currentKeyId = keyIdentity(key);
    this.currentKeyGroup = keyGroup;
    this.currentSlot = keyGroup - this.keyGroupRange.start;
  }

  clearCurrentKey(): void {
    this.currentKey = undefined;
    this.currentKeyId = undefined;
    this.currentKeyGroup = -1;
    this.currentSlot = -1;
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  getCurrentKeyGroup(): number {
    return this.currentKeyGroup;
  }

  registerState(name: string, kind: KeyedStateKind): void {
    const existing = this.tables.get(name);
    checkStateRegistration(this.operatorName, name, kind, existing?.kind);
    if (existing) existing.kind = kind;
    else this.tables.set(name, { kind, groups: this.newGroups() });
  }

  private table(name: string): StateTable {
    const t = this.tables.get(name);
    if (!t) throw new FailedPreconditionError(`${this.operatorName}: state "${name}" is not registered`);
    return t;
  }

  private requireKey(): void {
    if (this.currentSlot < 0) throw new FailedPreconditionError(`${this.operatorName}: keyed state accessed without a current key`);
  }

  get(name: string, namespace: StateNamespace): unknown {
    this.requireKey();
    return this.table(name).groups[this.currentSlot]?.get(this.currentKeyId)?.byNamespace.get(namespace);
  }

  put(name: string, namespace: StateNamespace, value: unknown): void {
    this.requireKey();
    this.store(this.table(name), this.currentSlot, this.currentKeyId, this.currentKey, namespace, value);
  }

  private store(t: StateTable, slot: number, keyId: unknown, key: unknown, namespace: StateNamespace, value: unknown): void {
    let keys = t.groups[slot];
    if (!keys) t.groups[slot] = keys = new Map();
    let entry = keys.get(keyId);
    if (!entry) keys.set(keyId, (entry = { key, byNamespace: new Map() }));
    entry.byNamespace.set(namespace, value);
  }

  remove(name: string, namespace: StateNamespace): void {
    this.requireKey();
    const keys = this.table(name).groups[this.currentSlot];
    const entry = keys?.get(this.currentKeyId);
    if (!entry) return;
    entry.byNamespace.delete(namespace);
    if (entry.byNamespace.size === 0) keys!.delete(this.currentKeyId);
  }

  putTimer(timer: TimerEntry): void {
    const groups = this.timerTables[timer.domain];
    const slot = this.slotOf(timer.keyGroup);
    let m = groups[slot];
    if (!m) groups[slot] = m = new Map();
    m.set(timerId(timer), { ...timer });
  }

  deleteTimer(timer: TimerEntry): void {
    this.timerTables[timer.domain][this.slotOf(timer.keyGroup)]?.delete(timerId(timer));
  }

  private slotOf(keyGroup: number): number {
    const slot = keyGroup - this.keyGroupRange.start;
    if (slot < 0 || keyGroup > this.keyGroupRange.end) {
      throw new FailedPreconditionError(`${this.operatorName}: key group ${keyGroup} is outside this subtask's range`);
    }
    return slot;
  }

  async *timers(): AsyncIterable<TimerEntry> {
    const all: TimerEntry[] = [];
    for (const groups of Object.values(this.timerTables)) for (const m of groups) if (m) for (const t of m.values()) all.push(t);
    yield* all;
  }

  async *keys(name: string): AsyncIterable<unknown> {
    const t = this.tables.get(name);
    if (!t) return;
    const out: unknown[] = [];
    for (const keys of t.groups) if (keys) for (const entry of keys.values()) out.push(entry.key);
    yield* out;
  }

  async *entriesOfKeyGroup(keyGroup: number): AsyncIterable<KeyedStateEntry> {
    yield* this.collect(keyGroup, keyGroup, false);
  }

  /** Entries of key groups [from, to], values deep-copied when `copy`. */
  private collect(from: number, to: number, copy: boolean): KeyedStateEntry[] {
    const out: KeyedStateEntry[] = [];
    const lo = Math.max(from, this.keyGroupRange.start);
    const hi = Math.min(to, this.keyGroupRange.end);
    for (let keyGroup = lo; keyGroup <= hi; keyGroup++) {
      const slot = keyGroup - this.keyGroupRange.start;
      for (const [stateName, t] of this.tables) {
        const keys = t.groups[slot];
        if (!keys) continue;
        for (const entry of keys.values()) {
          for (const [namespace, value] of entry.byNamespace) {
            out.push({ keyGroup, stateName, key: copy ? cloneStateValue(entry.key) : entry.key, namespace, value: copy ? cloneStateValue(value) : value });
          }
        }
      }
      for (const domain of ['EVENT_TIME', 'PROCESSING_TIME'] as const) {
        const timers = this.timerTables[domain][slot];
        if (!timers) continue;
        for (const t of timers.values()) {
          out.push({ keyGroup, stateName: TIMER_STATE_NAMES[domain], key: t.key, namespace: t.namespace, value: t.timestamp });
        }
      }
    }
    return out;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  async snapshotKeyGroups(range: KeyGroupRange = this.keyGroupRange): Promise<AsyncIterable<KeyedStateEntry>> {
    // Copied now, synchronously: that is the consistent point of the snapshot.
    const entries = this.collect(range.start, range.end, true);
    return (async function* () {
      yield* entries;
    })();
  }

  async restore(entries: Iterable<KeyedStateEntry> | AsyncIterable<KeyedStateEntry>): Promise<void> {
    // Time slices: a large restore lets timers and I/O (heartbeats) run in between.
    const slices = new EventLoopSlices();
    let n = 0;
    for await (const e of entries) {
      if (++n % ITEMS_PER_CLOCK_LOOK === 0) await slices.maybeNext();
      if (e.keyGroup < this.keyGroupRange.start || e.keyGroup > this.keyGroupRange.end) continue;
      const domain = timerDomainOfStateName(e.stateName);
      if (domain) {
        this.putTimer({ domain, timestamp: e.value as number, key: e.key, keyGroup: e.keyGroup, namespace: e.namespace });
        continue;
      }
      if (isReservedStateName(e.stateName)) continue;
      let t = this.tables.get(e.stateName);
      if (!t) this.tables.set(e.stateName, (t = { kind: undefined, groups: this.newGroups() }));
      // Decoded before the job's classes were known here: resolved now, or once a descriptor names them.
      if (resolveTypedValues(e.value, this.types)) this.unresolved.push(e.value);
      this.store(t, e.keyGroup - this.keyGroupRange.start, keyIdentity(e.key), e.key, e.namespace, e.value);
    }
  }

  async dispose(): Promise<void> {
    this.tables.clear();
    for (const groups of Object.values(this.timerTables)) groups.fill(undefined);
  }
}
