/**
 * The `leveldb` keyed state backend: one classic-level database per operator and subtask,
 * keys laid out as `[keyGroup][state id][key][namespace]` (see leveldb-key-layout.ts), values
 * serialised with msgpackr, and a bounded write-back cache of deserialised values in front
 * (see leveldb-write-back-cache.ts), so per-record reads and writes stay synchronous and state
 * may be larger than memory. Iteration (keys, key groups, timers, canonical snapshots) flushes
 * the cache and scans ranges; snapshots read a LevelDB iterator's implicit snapshot. Checkpoints
 * take native snapshots without flushing (raw records plus the cache's unwritten changes,
 * {@link LevelDbKeyedStateBackend.snapshotNative}) and restore them with
 * {@link LevelDbKeyedStateBackend.restoreNative}; savepoints use the canonical form.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../core/errors.js';
import { TypeRegistry } from '../core/type-registry.js';
import { assignToKeyGroup, type KeyGroupRange } from './key-groups.js';
import {
  keyIdentity,
  type KeyedStateBackend,
  type KeyedStateEntry,
  type KeyedStateKind,
  type StateNamespace,
  type TimeDomain,
  type TimerEntry,
} from './keyed-state-backend.js';
import type { OrderedTimer, OrderedTimerStore } from './ordered-timer-store.js';
import { scanTimersInOrder } from './leveldb-timer-scan.js';
import { EVENT_TIMER_STATE_ID, keyGroupEnd, MAX_USER_STATE_ID, parseKey, prefixKey, stateEnd } from './leveldb-key-layout.js';
import { rawRecordToEntry, type LevelDbNativeSnapshot } from './leveldb-native-snapshot.js';
import { KeyTable } from './leveldb-key-table.js';
import { LevelDbStore } from './leveldb-store.js';
import { LevelDbChangeRecorder, RecordListIterator } from './leveldb-change-recorder.js';
import { loadCanonicalEntries, loadRawRecords, stateIdRemap } from './leveldb-raw-restore.js';
import { SnapshotChain, type ChainFile, type SnapshotChainOptions } from './snapshot-chain.js';
import { splitDatabaseShare, type ManagedMemoryLease } from './managed-memory.js';
import type { CacheEntry, CachedState } from './leveldb-cache-entry.js';
import { LevelDbWriteBackCache } from './leveldb-write-back-cache.js';
import type { RawRecord } from './native-record-codec.js';
import { StateBackendError } from './state-errors.js';
import { checkStateRegistration } from './state-registration.js';

/** Options of {@link LevelDbKeyedStateBackend.open}. */
export interface LevelDbKeyedStateBackendOptions {
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  /** Named in errors. */
  operatorName: string;
  /** Directory of the database (created fresh; removed by dispose). */
  path: string;
  /** Memory bound of the write-back cache in bytes (its share of managed memory, or `state.backend.leveldb.cache.size`). */
  cacheBytes: number;
  /** LevelDB's block cache in bytes (default 8 MiB). */
  blockCacheBytes?: number;
  /** LevelDB's memtable size in bytes (default 16 MiB). */
  writeBufferBytes?: number;
  /** The share of managed memory the cache bound comes from: resizes follow it, dispose releases it. */
  memory?: ManagedMemoryLease;
  /** The job's registered types (default: none); descriptors add theirs on top. */
  types?: TypeRegistry;
  /** Incremental checkpoints (absent: every checkpoint is a full snapshot). */
  incremental?: IncrementalSnapshotOptions;
}

/** Incremental checkpoints of a LevelDB backend (`state.backend.incremental`). */
export interface IncrementalSnapshotOptions extends SnapshotChainOptions {
  /** Most bytes of changes recorded between two checkpoints (more: the next one is full). */
  changelogBytes: number;
}

/** A registered state. */
interface RegisteredState extends CachedState {
  readonly name: string;
  /** Undefined while known only from a restored snapshot, until the operator registers it. */
  kind: KeyedStateKind | undefined;
}

/** The `leveldb` keyed state backend. */
export class LevelDbKeyedStateBackend implements KeyedStateBackend, OrderedTimerStore {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  private readonly operatorName: string;
  private readonly cache: LevelDbWriteBackCache;
  readonly types: TypeRegistry;
  private readonly states = new Map<string, RegisteredState>();
  private readonly stateNames: string[] = [];
  private currentKey: unknown = undefined;
  private currentKeyId: unknown = undefined;
  private currentKeyGroup = -1;
  /**
   * The entry of the last access: an operator reads and then writes the same state of the same
   * key (`value()` then `update()`), and the second access skips the cache's table lookup.
   */
  private last: CacheEntry | undefined = undefined;
  /**
   * Recent share of reads that missed the cache (a moving average). While most miss (new keys,
   * new windows), a read asks the cache's filter first, which knows most new keys without a
   * table lookup; while most hit, it looks up first and the filter costs nothing.
   */
  private missRate = 0;
  private disposed = false;
  private readonly memory: ManagedMemoryLease | undefined;
  private readonly changelogBytes: number;
  /** The restore chain of incremental checkpoints (absent: they are off). */
  readonly chain: SnapshotChain<ChainFile> | undefined;

  private constructor(options: LevelDbKeyedStateBackendOptions, private readonly store: LevelDbStore) {
    this.maxParallelism = options.maxParallelism;
    this.keyGroupRange = options.keyGroupRange;
    this.operatorName = options.operatorName;
    this.types = new TypeRegistry(options.types);
    this.cache = new LevelDbWriteBackCache(store, options.cacheBytes, this.types);
    this.memory = options.memory;
    this.changelogBytes = options.incremental?.changelogBytes ?? 0;
    this.chain = options.incremental ? new SnapshotChain(options.incremental) : undefined;
  }

  /** Follows a change of the managed memory share (the native part stays as opened). */
  resizeShare(shareBytes: number): void {
    if (!this.disposed) this.cache.setMaxBytes(splitDatabaseShare(shareBytes).cacheBytes);
  }

  /** The write-back cache's current bound in bytes. */
  get cacheBoundBytes(): number {
    return this.cache.boundBytes;
  }

  /** Opens a fresh database at `options.path`. */
  static async open(options: LevelDbKeyedStateBackendOptions): Promise<LevelDbKeyedStateBackend> {
    if (options.keyGroupRange.end > 0xffff) throw new InvalidArgumentError(`key group ${options.keyGroupRange.end} does not fit the LevelDB key layout`);
    const store = await LevelDbStore.open({ path: options.path, blockCacheBytes: options.blockCacheBytes, writeBufferBytes: options.writeBufferBytes });
    return new LevelDbKeyedStateBackend(options, store);
  }

  /** Directory of the database. */
  get path(): string {
    return this.store.path;
  }

  /** Approximate bytes held by the write-back cache. */
  get cacheMemoryBytes(): number {
    return this.cache.memoryBytes;
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
    // A new record: its first access looks the entry up, which tells the cache of a reuse.
    this.last = undefined;
  }

  clearCurrentKey(): void {
    this.currentKey = undefined;
    this.currentKeyId = undefined;
    this.currentKeyGroup = -1;
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  getCurrentKeyGroup(): number {
    return this.currentKeyGroup;
  }

  registerState(name: string, kind: KeyedStateKind): void {
    const existing = this.states.get(name);
    checkStateRegistration(this.operatorName, name, kind, existing?.kind);
    if (existing) existing.kind = kind;
    else this.define(name).kind = kind;
  }

  registerTypes(classes: readonly object[]): void {
    // Values are decoded when read, so naming a class now is in time for every stored value.
    for (const c of classes) this.types.register(c);
  }

  /** Gives `name` the next state id. */
  private define(name: string): RegisteredState {
    const id = this.stateNames.length + 1;
    if (id > MAX_USER_STATE_ID) throw new FailedPreconditionError(`${this.operatorName}: too many keyed states (at most ${MAX_USER_STATE_ID})`);
    const state: RegisteredState = { id, name, kind: undefined, voidTable: new KeyTable(), tables: new Map() };
    this.states.set(name, state);
    this.stateNames.push(name);
    return state;
  }

  private state(name: string): RegisteredState {
    const s = this.states.get(name);
    if (!s) throw new FailedPreconditionError(`${this.operatorName}: state "${name}" is not registered`);
    if (this.currentKeyGroup < 0) throw new FailedPreconditionError(`${this.operatorName}: keyed state accessed without a current key`);
    return s;
  }

  get(name: string, namespace: StateNamespace): unknown {
    const s = this.state(name);
    const last = this.last;
    if (last !== undefined && last.cached && last.state === s && last.namespace === namespace && last.keyId === this.currentKeyId) {
      this.cache.reuse(last);
      return last.value;
    }
    let e = this.missRate > 0.5 ? this.cache.loadIfNew(s, namespace, this.currentKeyId, this.currentKey, this.currentKeyGroup) : undefined;
    let hit = false;
    if (e === undefined) {
      e = this.cache.lookup(s, namespace, this.currentKeyId);
      hit = e !== undefined;
      e ??= this.cache.load(s, namespace, this.currentKeyId, this.currentKey, this.currentKeyGroup);
    }
    this.missRate += ((hit ? 0 : 1) - this.missRate) / 64;
    this.last = e;
    return e.value;
  }

  put(name: string, namespace: StateNamespace, value: unknown): void {
    const s = this.state(name);
    const last = this.last;
    if (last !== undefined && last.cached && last.state === s && last.namespace === namespace && last.keyId === this.currentKeyId) {
      this.cache.reuse(last);
      this.cache.update(last, value);
      return;
    }
    const e = this.cache.lookup(s, namespace, this.currentKeyId);
    if (e) this.cache.update(e, value);
    else this.last = this.cache.create(s, namespace, this.currentKeyId, this.currentKey, this.currentKeyGroup, value);
  }

  remove(name: string, namespace: StateNamespace): void {
    this.put(name, namespace, undefined);
  }

  putTimer(t: TimerEntry, maybeStored = false): void {
    this.checkKeyGroup(t.keyGroup);
    this.cache.timerOp(true, t.keyGroup, t.domain, t.timestamp, t.key, t.namespace, maybeStored);
  }

  /** {@inheritDoc OrderedTimerStore.scanTimers} Pending timer writes are handed over first (no state entries). */
  async scanTimers(domain: TimeDomain, from: string, limit: number): Promise<OrderedTimer[]> {
    if (this.disposed) throw new StateBackendError(`${this.operatorName}: the keyed state backend is disposed`);
    await this.cache.flush(true);
    return scanTimersInOrder(this.store, this.keyGroupRange, domain, from, limit);
  }

  deleteTimer(t: TimerEntry): void {
    this.checkKeyGroup(t.keyGroup);
    this.cache.timerOp(false, t.keyGroup, t.domain, t.timestamp, t.key, t.namespace);
  }

  private checkKeyGroup(keyGroup: number): void {
    if (keyGroup < this.keyGroupRange.start || keyGroup > this.keyGroupRange.end) {
      throw new FailedPreconditionError(`${this.operatorName}: key group ${keyGroup} is outside this subtask's range`);
    }
  }

  async *timers(): AsyncIterable<TimerEntry> {
    await this.flush();
    for (let kg = this.keyGroupRange.start; kg <= this.keyGroupRange.end; kg++) {
      for await (const [k] of this.store.iterator(prefixKey(kg, EVENT_TIMER_STATE_ID), keyGroupEnd(kg))) {
        const p = parseKey(k);
        const domain = p.stateId === EVENT_TIMER_STATE_ID ? 'EVENT_TIME' : 'PROCESSING_TIME';
        yield { domain, timestamp: p.timestamp, key: p.key, keyGroup: kg, namespace: p.namespace };
      }
    }
  }

  async *keys(name: string): AsyncIterable<unknown> {
    const s = this.states.get(name);
    if (!s) return;
    await this.flush();
    for (let kg = this.keyGroupRange.start; kg <= this.keyGroupRange.end; kg++) {
      let previous: string | undefined;
      // Entries of one key are adjacent: keys are prefix-free, and the namespace follows the key.
      for await (const [k] of this.store.iterator(prefixKey(kg, s.id), stateEnd(kg, s.id))) {
        const p = parseKey(k);
        const id = k.toString('latin1', 4, p.keyEnd);
        if (id === previous) continue;
        previous = id;
        yield p.key;
      }
    }
  }

  async *entriesOfKeyGroup(keyGroup: number): AsyncIterable<KeyedStateEntry> {
    await this.flush();
    yield* this.decode(this.store.iterator(prefixKey(keyGroup), keyGroupEnd(keyGroup)));
  }

  async flush(): Promise<void> {
    if (this.disposed) throw new StateBackendError(`${this.operatorName}: the keyed state backend is disposed`);
    await this.cache.flush();
  }

  async snapshotKeyGroups(range: KeyGroupRange = this.keyGroupRange): Promise<AsyncIterable<KeyedStateEntry>> {
    await this.flush();
    const start = Math.max(range.start, this.keyGroupRange.start);
    const end = Math.min(range.end, this.keyGroupRange.end);
    // Created right after the flush: the iterator reads the database as of now.
    const it = this.store.iterator(prefixKey(start), keyGroupEnd(end));
    return this.decode(it);
  }

  /**
   * A native snapshot of this subtask's key groups, for checkpoints; with `delta`, only the
   * changes since the previous one (see {@link canSnapshotDelta}). Only synchronous work: the
   * cache's changes not written yet are captured (serialised lazily), and the snapshot iterator
   * reads the database as of the batches handed over so far (it opens once they are written;
   * later writes are not in it), so processing goes on meanwhile and nothing is written to the
   * database for the checkpoint.
   */
  snapshotNative(delta = false): LevelDbNativeSnapshot {
    if (this.disposed) throw new StateBackendError(`${this.operatorName}: the keyed state backend is disposed`);
    const { start, end } = this.keyGroupRange;
    const changes = this.store.changes;
    if (delta && !this.canSnapshotDelta) throw new StateBackendError(`${this.operatorName}: no changes recorded since a full snapshot`);
    const unwritten = this.cache.captureUnwritten(delta);
    // Incremental: the next delta holds what is handed to a batch from this snapshot point on.
    // Bounded by a quarter of the cache's bound too: the memory stays near this database's share.
    this.startChangelog();
    const iterator = delta ? Promise.resolve(new RecordListIterator(changes!)) : this.store.snapshotIterator(prefixKey(start), keyGroupEnd(end));
    // Observed now; the asynchronous part awaits it.
    iterator.catch(() => undefined);
    const states: [number, string][] = this.stateNames.map((name, i) => [i + 1, name]);
    return { keyGroupRange: { start, end }, states, iterator, unwritten };
  }

  /** Records the changes handed to batches from now on (incremental checkpoints only). */
  private startChangelog(): void {
    if (this.changelogBytes > 0) this.store.changes = new LevelDbChangeRecorder(Math.min(this.changelogBytes, Math.max(1 << 20, this.cache.boundBytes / 4)));
  }

  /**
   * After a restore that loaded exactly `files` (this subtask's chain at the restored checkpoint,
   * in `origin`): records changes from now on, so the next checkpoint can be a delta over them.
   */
  continueChain(files: readonly { handle: ChainFile; bytes: number }[], origin: string): void {
    if (!this.chain || this.changelogBytes <= 0 || this.disposed) return;
    this.startChangelog();
    this.chain.continueFrom(files, origin);
  }

  /** True when a delta snapshot (the changes since the last native snapshot) can be taken. */
  get canSnapshotDelta(): boolean {
    return this.store.changes !== undefined && !this.store.changes.overflowed;
  }

  /**
   * Loads raw records of a native snapshot (before processing starts): records of key groups
   * outside this subtask's range are skipped, state ids are re-mapped by name (`states`: the
   * snapshot's id → name table), and records go into LevelDB in chained batches as they are,
   * in order (a deletion or a later put of a key replaces an earlier record).
   * Timers are records too; the timer service rebuilds its index from them when it loads.
   */
  async restoreNative(batches: AsyncIterable<RawRecord[]>, states: readonly [number, string][]): Promise<void> {
    await this.flush();
    const remap = stateIdRemap(states, (name) => (this.states.get(name) ?? this.define(name)).id, this.operatorName);
    await loadRawRecords(this.store, batches, remap, this.keyGroupRange, this.operatorName);
    this.cache.invalidate();
  }

  /** Canonical entries of raw LevelDB records. */
  private async *decode(records: AsyncIterable<[Buffer, Buffer]>): AsyncIterable<KeyedStateEntry> {
    const stateNameOf = (id: number): string => {
      const name = this.stateNames[id - 1];
      if (name === undefined) throw new StateBackendError(`${this.operatorName}: unknown state id ${id} in ${this.path}`);
      return name;
    };
    for await (const [k, v] of records) yield rawRecordToEntry(k, v, stateNameOf, this.types);
  }

  async restore(entries: Iterable<KeyedStateEntry> | AsyncIterable<KeyedStateEntry>): Promise<void> {
    await this.flush();
    const stateId = (name: string): number => (this.states.get(name) ?? this.define(name)).id;
    await loadCanonicalEntries(this.store, entries, this.keyGroupRange, stateId, (t) => this.putTimer(t));
    await this.flush();
    this.cache.invalidate();
  }

  /** Closes the database and removes its directory. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.states.clear();
    this.last = undefined;
    this.memory?.release();
    await this.store.destroy();
  }
}
