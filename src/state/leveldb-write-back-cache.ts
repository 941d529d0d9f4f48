/**
 * The write-back cache of the LevelDB keyed state backend. Hot entries are kept as deserialised
 * JS values, so a ListState.add or MapState.put changes the cached object and marks it dirty
 * without serialising the collection; values are serialised only when written out:
 * - a miss reads through `getSync` (after the entries handed to batches not yet written);
 * - once dirty entries pass half the memory bound, the oldest ones go to a background batch;
 * - past the bound, least recently used entries are evicted; dirty ones are written first;
 * - {@link flush} writes everything and waits until it is durable (iteration, savepoints call it);
 * - {@link captureUnwritten} captures what is not written yet for a native snapshot without
 *   writing it (checkpoints; values are serialised lazily, see leveldb-unwritten-capture.ts): the
 *   database is then not written more often with checkpoints than without.
 * Memory is accounted approximately: a fixed per-entry overhead plus key bytes plus a value
 * estimate, refined whenever the value is serialised.
 */
import type { TypeRegistry } from '../core/type-registry.js';
import { VOID_NAMESPACE, type StateNamespace, type TimeDomain } from './keyed-state-backend.js';
import { KeyBloomFilter } from './key-bloom-filter.js';
import { KeyWriter } from './key-codec.js';
import { TIMER_VALUE, writeEntryKey, writeStateKey, writeTimerKey } from './leveldb-key-layout.js';
import type { LevelDbStore, StoreBatch } from './leveldb-store.js';
import { UnwrittenCapture, type CapturedTimerOp } from './leveldb-unwritten-capture.js';
import { deserializeValue, serializeValue } from './value-codec.js';

/** Approximate heap cost of one cached entry beyond its key and value (object, Map slot, list links). */
const ENTRY_OVERHEAD = 200;
/** Most dirty entries one background batch takes (bounds the pause of serialising them). */
const FLUSH_CHUNK = 32_768;
/** Approximate cost of one pending timer write. */
const TIMER_OP_OVERHEAD = 96;

/** One registered state as the cache sees it. */
export interface CachedState {
  readonly id: number;
  /** Entries of the void namespace by key identity (the common case, one lookup). */
  readonly voidTable: Map<unknown, CacheEntry>;
  /** Entries of other namespaces: namespace → key identity → entry. */
  readonly tables: Map<StateNamespace, Map<unknown, CacheEntry>>;
}

/** A cached (key group, state, key, namespace) entry; `value` undefined means absent. */
export class CacheEntry {
  prev: CacheEntry = this;
  next: CacheEntry = this;
  dirty = false;
  /** False once evicted or invalidated: a holder of the entry must look it up again. */
  cached = true;
  /** Sequence number of the last batch the entry was written in (0: none). */
  batch = 0;
  size = 0;
  /** A checkpoint's capture that still has to serialise this entry's value before it changes. */
  capture: UnwrittenCapture | undefined = undefined;
  /**
   * False while LevelDB (as of the batches handed over) certainly holds no value for the key: a
   * removal then needs no deletion record, and the entry turns clean instead of carrying a
   * tombstone into every checkpoint until the next write (expired windows of new keys).
   */
  stored = true;
  /** True while the entry has a slot in the dirty queue past its head (so it is queued once). */
  queued = false;

  constructor(
    readonly state: CachedState,
    readonly table: Map<unknown, CacheEntry>,
    readonly keyId: unknown,
    readonly key: unknown,
    readonly keyGroup: number,
    readonly namespace: StateNamespace,
    public value: unknown,
    public keyBytes: number,
  ) {}
}

/** A pending timer write; `stored`: the database (as of the batches handed over) holds the timer. */
interface PendingTimerOp extends CapturedTimerOp {
  put: boolean;
  readonly stored: boolean;
}

/** A value handed to a batch that is not written yet, readable meanwhile. */
interface InFlightValue {
  value: unknown;
  batch: number;
}

/** The write-back cache over one {@link LevelDbStore}. */
export class LevelDbWriteBackCache {
  /** Sentinel of the LRU list: `head.next` is the most recently used entry. */
  private readonly head: CacheEntry;
  private bytes = 0;
  private dirtyBytes = 0;
  private dirtyQueue: CacheEntry[] = [];
  private dirtyHead = 0;
  /**
   * Timer writes not handed to a batch, by timer key: only the last write of a key matters. A
   * timer registered and deleted before its put was handed over leaves nothing (see timerOp).
   */
  private timerOps = new Map<string, PendingTimerOp>();
  private readonly inFlight = new Map<string, InFlightValue>();
  /** Per batch in progress: keys of {@link inFlight} it owns. */
  private readonly inFlightKeys = new Map<number, string[]>();
  private readonly w = new KeyWriter();
  private flushThreshold = 0;
  private maxBytes = 0;
  /**
   * Every state key this cache ever cached (so every key it wrote to the store): a key it rules
   * out is in neither, and skips the table lookup ({@link loadIfNew}) and the LevelDB read.
   * Dropped (every miss reads) once something wrote around the cache (restore, see {@link invalidate}).
   */
  private written: KeyBloomFilter | undefined;
  /** Memory of {@link written}, counted in the cache's bytes. */
  private filterBytes = 0;

  /**
   * @param types where type names of stored instances resolve when a value is read back
   */
  constructor(
    private readonly store: LevelDbStore,
    maxBytes: number,
    private readonly types?: TypeRegistry,
  ) {
    const sentinel = new CacheEntry({ id: 0, voidTable: new Map(), tables: new Map() }, new Map(), undefined, undefined, 0, '', undefined, 0);
    this.head = sentinel;
    store.onWritten = (seq) => this.batchWritten(seq);
    this.setMaxBytes(maxBytes);
    // Sized first for about the entries the cache holds; it grows with the keys written.
    this.written = new KeyBloomFilter(maxBytes / (ENTRY_OVERHEAD + 40));
    this.filterGrew(this.written.memoryBytes);
  }

  /** Approximate bytes held: cached entries plus values and timers waiting to be written. */
  get memoryBytes(): number {
    return this.bytes;
  }

  /** The memory bound in bytes. */
  get boundBytes(): number {
    return this.maxBytes;
  }

  /**
   * Changes the memory bound (the TaskManager's managed memory is re-shared when a database
   * opens or closes in the same slot); a smaller bound evicts at once.
   */
  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.flushThreshold = Math.max(16 * 1024, Math.floor(maxBytes / 2));
    if (this.bytes > maxBytes) this.evict();
  }

  /**
   * Marks an entry the caller still holds from an earlier access as used again (it must still
   * be {@link CacheEntry.cached}); as {@link lookup} on a hit, without the table lookup.
   */
  reuse(e: CacheEntry): void {
    if (e.capture !== undefined) e.capture.release(e);
    this.touch(e);
  }

  /** The table of `namespace` in `state`, created when `create`. */
  table(state: CachedState, namespace: StateNamespace, create: boolean): Map<unknown, CacheEntry> | undefined {
    if (namespace === VOID_NAMESPACE) return state.voidTable;
    let t = state.tables.get(namespace);
    if (!t && create) state.tables.set(namespace, (t = new Map()));
    return t;
  }

  /** The cached entry, marked most recently used; undefined on a miss. */
  lookup(state: CachedState, namespace: StateNamespace, keyId: unknown): CacheEntry | undefined {
    const t = namespace === VOID_NAMESPACE ? state.voidTable : state.tables.get(namespace);
    const e = t?.get(keyId);
    if (e) {
      // The caller may change the value now: a checkpoint that captured it serialises it first.
      if (e.capture !== undefined) e.capture.release(e);
      this.touch(e);
    }
    return e;
  }

  /** Reads an uncached entry: from a batch in flight, else from LevelDB; caches it clean. */
  load(state: CachedState, namespace: StateNamespace, keyId: unknown, key: unknown, keyGroup: number): CacheEntry {
    const w = this.w.reset();
    writeStateKey(w, keyGroup, state.id, key, namespace);
    let value: unknown;
    const pending = this.inFlight.size > 0 ? this.inFlight.get(w.buf.toString('latin1', 0, w.pos)) : undefined;
    if (pending) value = pending.value;
    else if (!this.remember(w)) {
      const bytes = this.store.getSync(w.view());
      if (bytes) value = deserializeValue(bytes, this.types);
    }
    const e = new CacheEntry(state, this.table(state, namespace, true)!, keyId, key, keyGroup, namespace, value, w.pos);
    e.size = ENTRY_OVERHEAD + w.pos + roughSize(value);
    // Read from the database or a batch in flight: absent there means absent once written.
    e.stored = value !== undefined;
    this.add(e);
    return e;
  }

  /**
   * For a key the filter rules out (never cached, so in neither the cache nor LevelDB): caches
   * it absent and returns the entry, without looking it up. Undefined when the key might be
   * known; the caller then looks it up.
   */
  loadIfNew(state: CachedState, namespace: StateNamespace, keyId: unknown, key: unknown, keyGroup: number): CacheEntry | undefined {
    if (this.written === undefined) return undefined;
    const w = this.w.reset();
    writeStateKey(w, keyGroup, state.id, key, namespace);
    if (!this.remember(w)) return undefined;
    const e = new CacheEntry(state, this.table(state, namespace, true)!, keyId, key, keyGroup, namespace, undefined, w.pos);
    e.size = ENTRY_OVERHEAD + w.pos;
    e.stored = false;
    this.add(e);
    return e;
  }

  /**
   * Records the key in `w` in the filter; true when it was certainly new (then it is in neither
   * the cache nor LevelDB). False without a filter.
   */
  private remember(w: KeyWriter): boolean {
    const filter = this.written;
    if (filter === undefined || !filter.addIfAbsent(w.buf, w.pos)) return false;
    if (filter.memoryBytes !== this.filterBytes) this.filterGrew(filter.memoryBytes);
    return true;
  }

  /** Caches a new entry for a blind write (no read needed), dirty. */
  create(state: CachedState, namespace: StateNamespace, keyId: unknown, key: unknown, keyGroup: number, value: unknown): CacheEntry {
    // Every cached key goes into the filter (see `written`).
    const w = this.w.reset();
    writeStateKey(w, keyGroup, state.id, key, namespace);
    const isNew = this.remember(w);
    const keyBytes = w.pos;
    const e = new CacheEntry(state, this.table(state, namespace, true)!, keyId, key, keyGroup, namespace, undefined, keyBytes);
    e.size = ENTRY_OVERHEAD + keyBytes;
    e.stored = !isNew;
    this.add(e);
    this.update(e, value);
    return e;
  }

  /** Sets the value of a cached entry (same object or new) and marks it dirty. */
  update(e: CacheEntry, value: unknown): void {
    e.value = value;
    const size = ENTRY_OVERHEAD + e.keyBytes + roughSize(value);
    const delta = size - e.size;
    e.size = size;
    this.bytes += delta;
    if (value === undefined && !e.stored) {
      // Nothing to delete in the database: a tombstone would only ride along in every
      // checkpoint until the next write.
      if (e.dirty) {
        e.dirty = false;
        this.dirtyBytes -= size - delta;
      }
    } else if (e.dirty) this.dirtyBytes += delta;
    else {
      e.dirty = true;
      this.dirtyBytes += size;
      if (!e.queued) {
        e.queued = true;
        this.dirtyQueue.push(e);
      }
    }
    // A removal is evicted first: cleared entries (fired windows) would otherwise push out the
    // live entries still to be read, the oldest of which are usually the next to fire.
    if (value === undefined) this.demote(e);
    if (this.dirtyBytes > this.flushThreshold) this.writeDirty(FLUSH_CHUNK);
    if (this.bytes > this.maxBytes) this.evict();
  }

  /**
   * Queues a timer write (timers are indexed in memory by the timer service, not cached). The
   * timer service puts only timers it does not hold and deletes only timers it holds, so a
   * put with no pending write of its key is of a timer the database does not hold: deleting it
   * before the put is handed over cancels both (fired or deleted timers of expired windows
   * would otherwise ride along in every checkpoint as a put and a deletion until the next write).
   */
  timerOp(put: boolean, keyGroup: number, domain: TimeDomain, timestamp: number, key: unknown, namespace: StateNamespace): void {
    const w = this.w.reset();
    writeTimerKey(w, keyGroup, domain, timestamp, key, namespace);
    const id = w.buf.toString('latin1', 0, w.pos);
    const pending = this.timerOps.get(id);
    if (pending !== undefined) {
      if (!put && !pending.stored) {
        this.timerOps.delete(id);
        const size = TIMER_OP_OVERHEAD + w.pos;
        this.bytes -= size;
        this.dirtyBytes -= size;
      } else pending.put = put;
      return;
    }
    this.timerOps.set(id, { key: w.toBuffer(), put, stored: !put });
    const size = TIMER_OP_OVERHEAD + w.pos;
    this.bytes += size;
    this.dirtyBytes += size;
    if (this.dirtyBytes > this.flushThreshold) this.writeDirty(FLUSH_CHUNK);
  }

  /** Writes every dirty entry and pending timer, and waits until all of it is durable. */
  async flush(): Promise<void> {
    this.writeDirty(Number.POSITIVE_INFINITY);
    await this.store.whenWritten();
  }

  /**
   * Captures every change not handed to a batch yet: dirty entries (serialised lazily, before
   * their values can change; removed values as deletions) and pending timer writes in their
   * order. The entries stay dirty: they reach the database when they would have without the
   * snapshot. Together with the database as of every batch handed over so far, this is the state
   * now. (Every entry and timer here belongs to the backend's key groups: both were checked when
   * their key became current.)
   */
  captureUnwritten(): UnwrittenCapture {
    const capture = new UnwrittenCapture(this.w);
    const q = this.dirtyQueue;
    // Past dirtyHead an entry is queued once (see CacheEntry.queued).
    for (let i = this.dirtyHead; i < q.length; i++) {
      const e = q[i]!;
      if (e.dirty) capture.add(e);
    }
    capture.addTimerOps(this.timerOps.values());
    return capture;
  }

  /** Drops every cached entry (after {@link flush}; restore wrote around the cache). */
  invalidate(): void {
    // The store now holds keys the filter never saw: every miss reads it from now on.
    this.written = undefined;
    this.filterBytes = 0;
    for (let e = this.head.next; e !== this.head; e = e.next) {
      e.cached = false;
      e.table.clear();
      e.state.tables.clear();
    }
    this.head.next = this.head.prev = this.head;
    this.bytes = 0;
    this.dirtyBytes = 0;
    this.dirtyQueue = [];
    this.dirtyHead = 0;
  }

  /**
   * Counts the filter's new layer against the bound; a filter that would take more than half
   * of the cache is dropped (every miss reads LevelDB then, as without one).
   */
  private filterGrew(bytes: number): void {
    if (bytes > this.maxBytes / 2) {
      this.written = undefined;
      this.bytes -= this.filterBytes;
      this.filterBytes = 0;
      return;
    }
    this.bytes += bytes - this.filterBytes;
    this.filterBytes = bytes;
  }

  private add(e: CacheEntry): void {
    e.table.set(e.keyId, e);
    this.link(e);
    this.bytes += e.size;
    if (this.bytes > this.maxBytes) this.evict();
  }

  private link(e: CacheEntry): void {
    const h = this.head;
    e.prev = h;
    e.next = h.next;
    h.next.prev = e;
    h.next = e;
  }

  /** Moves `e` to the least recently used end. */
  private demote(e: CacheEntry): void {
    const h = this.head;
    if (h.prev === e) return;
    e.prev.next = e.next;
    e.next.prev = e.prev;
    e.next = h;
    e.prev = h.prev;
    h.prev.next = e;
    h.prev = e;
  }

  private touch(e: CacheEntry): void {
    if (this.head.next === e) return;
    e.prev.next = e.next;
    e.next.prev = e.prev;
    this.link(e);
  }

  /** Serialises up to `max` of the oldest dirty entries plus every pending timer into one batch. */
  private writeDirty(max: number): void {
    if (this.dirtyBytes === 0) return;
    const { batch, seq } = this.store.batch();
    const q = this.dirtyQueue;
    let n = 0;
    while (this.dirtyHead < q.length && n < max) {
      const e = q[this.dirtyHead]!;
      q[this.dirtyHead++] = this.head;
      e.queued = false;
      // Turned clean since it was queued (evicted, or removed before it was ever written).
      if (!e.dirty) continue;
      this.writeEntry(batch, e);
      e.batch = seq;
      n++;
    }
    if (this.dirtyHead === q.length) {
      this.dirtyQueue = [];
      this.dirtyHead = 0;
    } else if (this.dirtyHead > 65_536 && this.dirtyHead * 2 > q.length) {
      this.dirtyQueue = q.slice(this.dirtyHead);
      this.dirtyHead = 0;
    }
    for (const op of this.timerOps.values()) {
      if (op.put) batch.put(op.key, TIMER_VALUE);
      else batch.del(op.key);
      const size = TIMER_OP_OVERHEAD + op.key.length;
      this.bytes -= size;
      this.dirtyBytes -= size;
    }
    this.timerOps = new Map();
    this.store.schedule();
  }

  /** Serialises a dirty entry into `batch`, marks it clean and refines its size estimate. */
  private writeEntry(batch: StoreBatch, e: CacheEntry): Buffer {
    const w = this.w.reset();
    writeEntryKey(w, e);
    const key = w.view();
    let size: number;
    if (e.value === undefined) {
      batch.del(key);
      size = ENTRY_OVERHEAD + w.pos;
    } else {
      const bytes = serializeValue(e.value);
      batch.put(key, bytes);
      // Deserialised JS values take roughly twice their msgpack size.
      size = ENTRY_OVERHEAD + w.pos + 2 * bytes.length + 16;
    }
    this.dirtyBytes -= e.size;
    this.bytes += size - e.size;
    e.size = size;
    e.keyBytes = w.pos;
    e.dirty = false;
    e.stored = e.value !== undefined;
    return key;
  }

  /** Evicts least recently used entries down to 90 % of the bound. */
  private evict(): void {
    const target = this.maxBytes * 0.9;
    const written = this.store.writtenSequence;
    let batch: StoreBatch | undefined;
    let seq = 0;
    let spilled: string[] | undefined;
    while (this.bytes > target) {
      const e = this.head.prev;
      // The most recently used entry stays: its caller is about to use it.
      if (e === this.head || e === this.head.next) break;
      e.prev.next = this.head;
      this.head.prev = e.prev;
      e.table.delete(e.keyId);
      e.cached = false;
      if (e.table.size === 0 && e.namespace !== VOID_NAMESPACE) e.state.tables.delete(e.namespace);
      if (e.dirty) {
        if (!batch) ({ batch, seq } = this.store.batch());
        const key = this.writeEntry(batch, e);
        const k = key.toString('latin1');
        this.inFlight.set(k, { value: e.value, batch: seq });
        (spilled ??= []).push(k);
      } else if (e.batch > written) {
        // Written in a batch still in progress: stay readable until it is durable.
        const w = this.w.reset();
        writeEntryKey(w, e);
        const k = w.buf.toString('latin1', 0, w.pos);
        this.inFlight.set(k, { value: e.value, batch: e.batch });
        const owned = this.inFlightKeys.get(e.batch);
        if (owned) owned.push(k);
        else this.inFlightKeys.set(e.batch, [k]);
      }
      this.bytes -= e.size;
    }
    if (batch) {
      const owned = this.inFlightKeys.get(seq);
      if (owned) owned.push(...spilled!);
      else this.inFlightKeys.set(seq, spilled!);
      this.store.schedule();
    }
  }

  private batchWritten(seq: number): void {
    const keys = this.inFlightKeys.get(seq);
    if (!keys) return;
    this.inFlightKeys.delete(seq);
    for (const k of keys) if (this.inFlight.get(k)?.batch === seq) this.inFlight.delete(k);
  }
}


/** A cheap O(1) guess of a value's heap size, until serialisation measures it. */
function roughSize(v: unknown): number {
  switch (typeof v) {
    case 'undefined':
      return 0;
    case 'number':
    case 'boolean':
      return 16;
    case 'string':
      return 16 + v.length;
    case 'object':
      if (v === null) return 8;
      if (Array.isArray(v)) return 32 + v.length * 24;
      if (v instanceof Map) return 64 + v.size * 96;
      return 96;
    default:
      return 32;
  }
}
