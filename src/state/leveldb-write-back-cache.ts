/**
 * The write-back cache of the LevelDB keyed state backend. Hot entries are kept as deserialised
 * JS values, so a ListState.add or MapState.put changes the cached object and marks it dirty
 * without serialising the collection; values are serialised only when written out:
 * - a miss reads through `getSync` (after the entries handed to batches not yet written);
 * - once dirty entries pass half the memory bound, the oldest ones go to a background batch;
 * - past the bound, least recently used entries are evicted; dirty ones are written first;
 * - {@link flush} writes everything and waits until it is durable (iteration, savepoints call it);
 * - {@link captureUnwritten} captures what is not written yet for a native snapshot (lazily
 *   serialised, leveldb-unwritten-capture.ts), so checkpoints add no database writes.
 * Memory is accounted approximately (per-entry overhead + key bytes + a value estimate).
 */
import type { TypeRegistry } from '../core/type-registry.js';
import { VOID_NAMESPACE, type StateNamespace, type TimeDomain } from './keyed-state-backend.js';
import { KeyBloomFilter } from './key-bloom-filter.js';
import { KeyWriter } from './key-codec.js';
import { writeEntryKey, writeStateKey, writeTimerKey } from './leveldb-key-layout.js';
import type { LevelDbStore, StoreBatch } from './leveldb-store.js';
import { CacheEntry, ENTRY_OVERHEAD, roughSize, type CachedState } from './leveldb-cache-entry.js';
import { InFlightValues } from './leveldb-in-flight-values.js';
import { PendingTimerWrites } from './leveldb-pending-timer-writes.js';
import { UnwrittenCapture } from './leveldb-unwritten-capture.js';
import { deserializeValue, serializeValue } from './value-codec.js';
export { CacheEntry, type CachedState } from './leveldb-cache-entry.js';
/** Most dirty entries one background batch takes (bounds the pause of serialising them). */
const FLUSH_CHUNK = 32_768;
/** The write-back cache over one {@link LevelDbStore}. */
export class LevelDbWriteBackCache {
  /** Sentinel of the LRU list: `head.next` is the most recently used entry. */
  private readonly head: CacheEntry;
  private bytes = 0;
  private dirtyBytes = 0;
  private dirtyQueue: CacheEntry[] = [];
  /** Captures so far + 1; an entry records this epoch when its value changes. */
  private epoch = 1;
  private dirtyHead = 0;
  /** Timer writes not handed to a batch (see leveldb-pending-timer-writes.ts). */
  private readonly timerOps = new PendingTimerWrites();
  private readonly inFlight = new InFlightValues();
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
    store.onWritten = (seq) => this.inFlight.written(seq);
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
    // Changed before the last snapshot point: its old value may be in a snapshot's delta.
    const earlier = e.changed !== this.epoch;
    e.changed = this.epoch;
    e.value = value;
    const size = ENTRY_OVERHEAD + e.keyBytes + roughSize(value);
    const delta = size - e.size;
    e.size = size;
    this.bytes += delta;
    if (value === undefined && !e.stored && !(earlier && this.store.changes)) {
      // Nothing to delete in the database (nor in a delta): a tombstone would only ride along.
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

  /** Queues a timer write (timers are indexed in memory by the timer service, not cached). */
  timerOp(put: boolean, keyGroup: number, domain: TimeDomain, timestamp: number, key: unknown, namespace: StateNamespace): void {
    const w = this.w.reset();
    writeTimerKey(w, keyGroup, domain, timestamp, key, namespace);
    const delta = this.timerOps.queue(w, put);
    this.bytes += delta;
    this.dirtyBytes += delta;
    if (delta > 0 && this.dirtyBytes > this.flushThreshold) this.writeDirty(FLUSH_CHUNK);
  }

  /** Writes every dirty entry and pending timer, and waits until all of it is durable. */
  async flush(): Promise<void> {
    this.writeDirty(Number.POSITIVE_INFINITY);
    await this.store.whenWritten();
  }

  /**
   * Captures every change not handed to a batch yet (with `delta`: only those made since the
   * last capture): dirty entries (serialised lazily, before their values change; removals as
   * deletions) and pending timer writes. The entries stay dirty: they reach the database when
   * they would have without the snapshot. With the database as of every batch handed over so
   * far, this is the state now (every entry and timer belongs to the backend's key groups).
   */
  captureUnwritten(delta = false): UnwrittenCapture {
    const capture = new UnwrittenCapture(this.w);
    const q = this.dirtyQueue;
    // Past dirtyHead an entry is queued once (see CacheEntry.queued).
    for (let i = this.dirtyHead; i < q.length; i++) {
      const e = q[i]!;
      if (e.dirty && (!delta || e.changed === this.epoch)) capture.add(e);
    }
    capture.addTimerOps(this.timerOps.values());
    this.epoch++;
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
    const timerBytes = this.timerOps.writeTo(batch, this.store.changes);
    this.bytes -= timerBytes;
    this.dirtyBytes -= timerBytes;
    this.store.schedule();
  }

  /** Serialises a dirty entry into `batch`, marks it clean and refines its size estimate. */
  private writeEntry(batch: StoreBatch, e: CacheEntry): Buffer {
    const w = this.w.reset();
    writeEntryKey(w, e);
    const key = w.view();
    let size: number;
    // Unchanged since the last snapshot point: that snapshot holds the value already.
    const changes = e.changed === this.epoch ? this.store.changes : undefined;
    if (e.value === undefined) {
      batch.del(key);
      changes?.delete(key, key.length);
      size = ENTRY_OVERHEAD + w.pos;
    } else {
      const bytes = serializeValue(e.value);
      batch.put(key, bytes);
      changes?.put(key, key.length, bytes);
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
        this.inFlight.add(key.toString('latin1'), e.value, seq);
      } else if (e.batch > written) {
        // Written in a batch still in progress: stay readable until it is durable.
        const w = this.w.reset();
        writeEntryKey(w, e);
        this.inFlight.add(w.buf.toString('latin1', 0, w.pos), e.value, e.batch);
      }
      this.bytes -= e.size;
    }
    if (batch) this.store.schedule();
  }
}
