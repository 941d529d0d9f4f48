/**
 * Keyed state in memory (Flink's HashMapStateBackend): per state name, a copy-on-write table of
 * keys per owned key group and namespace ({@link CopyOnWriteStateTable}); timers per domain in a
 * queue the timer service fires from ({@link HeapTimerQueue}), so each timer is held once. Reads
 * and writes are Map lookups and hand out the stored objects. Snapshots are asynchronous: taking one only fixes a version; its entries are read
 * while the task goes on, and copy-on-write keeps what it shares as it was at the snapshot point.
 */
import { FailedPreconditionError } from '../core/errors.js';
import { TypeRegistry } from '../core/type-registry.js';
import { assignToKeyGroup, type KeyGroupRange } from './key-groups.js';
import {
  isReservedStateName,
  keyIdentity,
  timerDomainOfStateName,
  type KeyedStateBackend,
  type KeyedStateEntry,
  type KeyedStateKind,
  type StateNamespace,
  type TimeDomain,
  type TimerEntry,
} from './keyed-state-backend.js';
import { EventLoopSlices, ITEMS_PER_CLOCK_LOOK } from './event-loop-slices.js';
import { checkStateRegistration } from './state-registration.js';
import { resolveTypedValues } from './typed-values.js';
import { CopyOnWriteStateTable } from './copy-on-write-state-table.js';
import { HeapTimerQueue } from './heap-timer-queue.js';
import { SnapshotVersions } from './copy-on-write-versions.js';
import { MemoryKeyedStateSnapshot } from './memory-keyed-state-snapshot.js';

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
  private readonly tables = new Map<string, CopyOnWriteStateTable>();
  /** The version counter and running snapshots shared by the tables and the timers. */
  private readonly versions = new SnapshotVersions();
  readonly types: TypeRegistry;
  /** Restored values still holding instances whose class is not named yet. */
  private unresolved: unknown[] = [];
  private readonly timerQueues: Record<TimeDomain, HeapTimerQueue>;
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
    this.timerQueues = {
      EVENT_TIME: new HeapTimerQueue('EVENT_TIME', this.versions, this.maxParallelism),
      PROCESSING_TIME: new HeapTimerQueue('PROCESSING_TIME', this.versions, this.maxParallelism),
    };
  }

  registerTypes(classes: readonly object[]): void {
    for (const c of classes) this.types.register(c);
    if (classes.length > 0 && this.unresolved.length > 0) this.unresolved = this.unresolved.filter((v) => resolveTypedValues(v, this.types));
  }

  /** Number of key group slots. */
  private get slots(): number {
    return this.keyGroupRange.end - this.keyGroupRange.start + 1;
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
    else this.tables.set(name, new CopyOnWriteStateTable(kind, this.slots, this.versions));
  }

  private table(name: string): CopyOnWriteStateTable {
    const t = this.tables.get(name);
    if (!t) throw new FailedPreconditionError(`${this.operatorName}: state "${name}" is not registered`);
    return t;
  }

  private requireKey(): void {
    if (this.currentSlot < 0) throw new FailedPreconditionError(`${this.operatorName}: keyed state accessed without a current key`);
  }

  get(name: string, namespace: StateNamespace): unknown {
    this.requireKey();
    return this.table(name).get(this.currentSlot, this.currentKeyId, namespace);
  }

  put(name: string, namespace: StateNamespace, value: unknown): void {
    this.requireKey();
    this.table(name).put(this.currentSlot, this.currentKeyId, this.currentKey, namespace, value);
  }

  remove(name: string, namespace: StateNamespace): void {
    this.requireKey();
    this.table(name).remove(this.currentSlot, this.currentKeyId, namespace);
  }

  putTimer(timer: TimerEntry): void {
    this.slotOf(timer.keyGroup);
    this.timerQueues[timer.domain].add(timer.key, timer.timestamp, timer.namespace);
  }

  deleteTimer(timer: TimerEntry): void {
    this.slotOf(timer.keyGroup);
    this.timerQueues[timer.domain].remove(timer.key, timer.timestamp, timer.namespace);
  }

  /** The queue of a domain's timers: the timer service fires from it (timers are held once). */
  timerQueue(domain: TimeDomain): HeapTimerQueue {
    return this.timerQueues[domain];
  }

  private slotOf(keyGroup: number): number {
    const slot = keyGroup - this.keyGroupRange.start;
    if (slot < 0 || keyGroup > this.keyGroupRange.end) {
      throw new FailedPreconditionError(`${this.operatorName}: key group ${keyGroup} is outside this subtask's range`);
    }
    return slot;
  }

  async *timers(): AsyncIterable<TimerEntry> {
    yield* [...this.timerQueues.EVENT_TIME.live(), ...this.timerQueues.PROCESSING_TIME.live()];
  }

  async *keys(name: string): AsyncIterable<unknown> {
    const t = this.tables.get(name);
    if (!t) return;
    yield* [...t.liveKeys()];
  }

  async *entriesOfKeyGroup(keyGroup: number): AsyncIterable<KeyedStateEntry> {
    if (keyGroup < this.keyGroupRange.start || keyGroup > this.keyGroupRange.end) return;
    // A snapshot of the one key group: the caller may change state while it reads.
    yield* await this.snapshotKeyGroups({ start: keyGroup, end: keyGroup });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Number of snapshots running (taken, neither read to the end nor released). */
  get runningSnapshots(): number {
    return this.versions.runningCount;
  }

  /**
   * The snapshot point is only a version: O(1), nothing copied. The entries are read while the
   * returned iterable is consumed; copy-on-write keeps them as they are now.
   */
  async snapshotKeyGroups(range: KeyGroupRange = this.keyGroupRange): Promise<AsyncIterable<KeyedStateEntry>> {
    const timers = [this.timerQueues.EVENT_TIME, this.timerQueues.PROCESSING_TIME];
    return new MemoryKeyedStateSnapshot({ tables: this.tables, timers, versions: this.versions, keyGroupRange: this.keyGroupRange, maxParallelism: this.maxParallelism }, range);
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
      if (!t) this.tables.set(e.stateName, (t = new CopyOnWriteStateTable(undefined, this.slots, this.versions)));
      // Decoded before the job's classes were known here: resolved now, or once a descriptor names them.
      if (resolveTypedValues(e.value, this.types)) this.unresolved.push(e.value);
      t.put(e.keyGroup - this.keyGroupRange.start, keyIdentity(e.key), e.key, e.namespace, e.value);
    }
  }

  async dispose(): Promise<void> {
    this.versions.releaseAll();
    this.tables.clear();
    this.timerQueues.EVENT_TIME.clear();
    this.timerQueues.PROCESSING_TIME.clear();
  }
}
