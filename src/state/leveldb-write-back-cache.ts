/**
 * The write-back cache of the LevelDB keyed state backend. Hot entries are kept as deserialised
 * JS values, so a ListState.add or MapState.put changes the cached object and marks it dirty
 * without serialising the collection; values are serialised only when written out:
 * - a miss reads through `getSync` (after the entries handed to batches not yet written);
 * - once dirty entries pass half the memory bound, the oldest ones go to a background batch;
 * - past the bound, entries not used lately are evicted (LRU by second chance: an access marks
 *   an entry, eviction sends a marked one back to the front), dirty ones written first;
 * - {@link flush} writes everything and waits until it is durable (iteration, savepoints call it);
 * - {@link captureUnwritten} captures what is not written yet for a native snapshot (lazily
 *   serialised, leveldb-unwritten-capture.ts), so checkpoints add no database writes.
 * Memory is accounted approximately (per-entry overhead + key bytes + a value estimate).
 *
 * Two LRU lists, as a segmented cache's admission window (2Q, W-TinyLFU): a key never seen
 * before enters a small window, and moves to the main list when a later record uses it again,
 * when it is read back from LevelDB (it was cached before), or when it leaves the window while
 * the cache has room. Once the cache is full, a stream of keys used once (distinct keys, one-off
 * windows) passes through the window without pushing the reused entries out of the main list,
 * and the main list stops churning: fewer objects for the garbage collector to move.
 */
import type { TypeRegistry } from '../core/type-registry.js';
import { VOID_NAMESPACE, type StateNamespace, type TimeDomain } from './keyed-state-backend.js';
import { KeyTable } from './leveldb-key-table.js';
import { KeyWriter } from './key-codec.js';
import { writeEntryKey, writeStateKey, writeTimerKey } from './leveldb-key-layout.js';
import type { LevelDbStore, PendingBatch, StoreBatch } from './leveldb-store.js';
import { CacheEntry, ENTRY_OVERHEAD, roughSize, type CachedState } from './leveldb-cache-entry.js';
import { ADMIT_BELOW, admissionWindowEntries } from './leveldb-admission-window.js';
import { DirtyQueue } from './leveldb-dirty-queue.js';
import { LruList } from './leveldb-lru-list.js';
import { InFlightValues } from './leveldb-in-flight-values.js';
import { PendingTimerWrites } from './leveldb-pending-timer-writes.js';
import type { UnwrittenCapture } from './leveldb-unwritten-capture.js';
import { ChangedEntries } from './leveldb-changed-entries.js';
import { WrittenKeys } from './leveldb-written-keys.js';
import { deserializeValue, serializeValue } from './value-codec.js';
/** Most dirty entries one background batch takes (bounds the pause of serialising them). */
const FLUSH_CHUNK = 32_768;
/** The write-back cache over one {@link LevelDbStore}. */
export class LevelDbWriteBackCache {
  /** Entries used by more than one record (or read back from LevelDB). */
  private readonly main = new LruList();
  /** The admission window: entries of keys new to the cache, used by one record so far. */
  private readonly window = new LruList();
  private windowMax = 0;
  private bytes = 0;
  private dirtyBytes = 0;
  private readonly dirty = new DirtyQueue();
  /** The snapshot epoch, entries changed in it, and what open delta captures still owe. */
  private readonly epochs = new ChangedEntries();
  /** Timer writes not handed to a batch (see leveldb-pending-timer-writes.ts). */
  private readonly timerOps = new PendingTimerWrites();
  private readonly inFlight = new InFlightValues();
  private readonly w = new KeyWriter();
  private flushThreshold = 0;
  private maxBytes = 0;
  /** Every key this cache ever cached (see leveldb-written-keys.ts). */
  private readonly written: WrittenKeys;

  /** @param types where type names of stored instances resolve when a value is read back */
  constructor(
    private readonly store: LevelDbStore,
    maxBytes: number,
    private readonly types?: TypeRegistry,
  ) {
    store.onWritten = (seq) => this.inFlight.written(seq);
    this.setMaxBytes(maxBytes);
    // Sized first for about the entries the cache holds; it grows with the keys written.
    this.written = new WrittenKeys(
      maxBytes / (ENTRY_OVERHEAD + 40),
      (delta) => (this.bytes += delta),
      () => this.maxBytes / 2,
    );
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
    this.windowMax = admissionWindowEntries(maxBytes);
    if (this.window.length > this.windowMax) this.evictWindow();
    if (this.bytes > maxBytes) this.evict(undefined);
  }

  /**
   * Marks an entry the caller still holds from an earlier access as used again (it must still
   * be {@link CacheEntry.cached}); as {@link lookup} on a hit, without the table lookup.
   */
  reuse(e: CacheEntry): void {
    // The same record again (read, then write): no second use, no second chance (the first counted).
    this.epochs.settle(e);
  }

  /** The table of `namespace` in `state`, created when `create`. */
  table(state: CachedState, namespace: StateNamespace, create: boolean): KeyTable | undefined {
    if (namespace === VOID_NAMESPACE) return state.voidTable;
    let t = state.tables.get(namespace);
    if (!t && create) state.tables.set(namespace, (t = new KeyTable()));
    return t;
  }

  /** The cached entry, marked most recently used; undefined on a miss. */
  lookup(state: CachedState, namespace: StateNamespace, keyId: unknown): CacheEntry | undefined {
    const t = namespace === VOID_NAMESPACE ? state.voidTable : state.tables.get(namespace);
    const e = t?.get(keyId);
    if (e) {
      this.epochs.settle(e);
      if (e.inWindow) this.promote(e);
      // Marked, not moved: moving would write to both neighbours, two more cache misses per access.
      else e.referenced = true;
    }
    return e;
  }

  /** Reads an uncached entry: from a batch in flight, else from LevelDB; caches it clean. */
  load(state: CachedState, namespace: StateNamespace, keyId: unknown, key: unknown, keyGroup: number): CacheEntry {
    const w = this.w.reset();
    writeStateKey(w, keyGroup, state.id, key, namespace);
    let value: unknown;
    let fresh = false;
    const pending = this.inFlight.size > 0 ? this.inFlight.get(w.buf.toString('latin1', 0, w.pos)) : undefined;
    if (pending) value = pending.value;
    else if (!(fresh = this.written.remember(w))) {
      const bytes = this.store.getSync(w.view());
      if (bytes) value = deserializeValue(bytes, this.types);
    }
    // Read from the database or a batch in flight: absent there means absent once written.
    return this.add(state, namespace, keyId, key, keyGroup, value, value !== undefined, fresh);
  }

  /**
   * For a key the filter rules out (never cached, so in neither the cache nor LevelDB): caches
   * it absent and returns the entry, without looking it up. Undefined when the key might be
   * known; the caller then looks it up.
   */
  loadIfNew(state: CachedState, namespace: StateNamespace, keyId: unknown, key: unknown, keyGroup: number): CacheEntry | undefined {
    if (!this.written.active) return undefined;
    const w = this.w.reset();
    writeStateKey(w, keyGroup, state.id, key, namespace);
    if (!this.written.remember(w)) return undefined;
    return this.add(state, namespace, keyId, key, keyGroup, undefined, false, true);
  }

  /** Caches a new entry for a blind write (no read needed), dirty. */
  create(state: CachedState, namespace: StateNamespace, keyId: unknown, key: unknown, keyGroup: number, value: unknown): CacheEntry {
    // Every cached key goes into the filter (see `written`).
    const w = this.w.reset();
    writeStateKey(w, keyGroup, state.id, key, namespace);
    const isNew = this.written.remember(w);
    const e = this.add(state, namespace, keyId, key, keyGroup, undefined, !isNew, isNew);
    this.update(e, value);
    return e;
  }

  /** Sets the value of a cached entry (same object or new) and marks it dirty. */
  update(e: CacheEntry, value: unknown): void {
    // First change since the last snapshot point: the value it had there may be in that snapshot
    // (captured unwritten), so a removal from now on must reach the next delta as a deletion.
    if (this.epochs.change(e, this.dirty.dirtyCount) && e.value !== undefined && this.store.changes) e.stored = true;
    e.value = value;
    const size = ENTRY_OVERHEAD + e.keyBytes + roughSize(value);
    const delta = size - e.size;
    e.size = size;
    this.bytes += delta;
    if (value === undefined && !e.stored) {
      // Nothing to delete in the database (nor in a delta): a tombstone would only ride along.
      if (e.dirty) {
        e.dirty = false;
        this.dirty.dirtyCount--;
        this.dirtyBytes -= size - delta;
      }
    } else if (e.dirty) this.dirtyBytes += delta;
    else {
      e.dirty = true;
      this.dirty.dirtyCount++;
      this.dirtyBytes += size;
      this.dirty.push(e);
    }
    // A removal is evicted first: cleared entries (fired windows) would otherwise push out the
    // live entries still to be read, the oldest of which are usually the next to fire.
    if (value === undefined) (e.inWindow ? this.window : this.main).moveToBack(e, true);
    if (this.dirtyBytes > this.flushThreshold) this.writeDirty(FLUSH_CHUNK);
    if (this.bytes > this.maxBytes) this.evict(e);
  }

  /** Queues a timer write (`maybeStored`: see leveldb-pending-timer-writes.ts); timers are not cached. */
  timerOp(put: boolean, keyGroup: number, domain: TimeDomain, timestamp: number, key: unknown, namespace: StateNamespace, maybeStored = false): void {
    const w = this.w.reset();
    writeTimerKey(w, keyGroup, domain, timestamp, key, namespace);
    const delta = this.timerOps.queue(w, put, maybeStored);
    this.bytes += delta;
    this.dirtyBytes += delta;
    if (delta > 0 && this.dirtyBytes > this.flushThreshold) this.writeDirty(FLUSH_CHUNK);
  }

  /** Writes every dirty entry (`timersOnly`: none, for a timer scan) and pending timer, and waits until all of it is durable. */
  async flush(timersOnly = false): Promise<void> {
    this.writeDirty(timersOnly ? 0 : Number.POSITIVE_INFINITY);
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
    return this.epochs.capture(this.w, delta, () => this.dirty.slots(), this.timerOps.values());
  }

  /** Drops every cached entry (after {@link flush}; restore wrote around the cache). */
  invalidate(): void {
    // The store now holds keys the filter never saw: every miss reads it from now on.
    this.written.drop();
    for (const list of [this.main, this.window]) {
      for (const e of list.entries()) {
        e.cached = false;
        // Each table once (clearing one is linear in its capacity).
        if (e.table.size > 0) e.table.clear();
        e.state.tables.clear();
      }
      list.clear();
    }
    this.bytes = 0;
    this.dirtyBytes = 0;
    this.dirty.clear();
  }

  /** Caches a new entry (its key in `this.w`): in the admission window when the key is new to the cache (`fresh`), else in the main list. */
  private add(state: CachedState, namespace: StateNamespace, keyId: unknown, key: unknown, keyGroup: number, value: unknown, stored: boolean, fresh: boolean): CacheEntry {
    const keyBytes = this.w.pos;
    const e = new CacheEntry(state, this.table(state, namespace, true)!, keyId, key, keyGroup, namespace, value, keyBytes);
    e.size = ENTRY_OVERHEAD + keyBytes + roughSize(value);
    e.stored = stored;
    e.table.add(e);
    this.bytes += e.size;
    if (fresh) {
      e.inWindow = true;
      this.window.pushFront(e);
      if (this.window.length > this.windowMax) this.evictWindow();
    } else this.main.pushFront(e);
    if (this.bytes > this.maxBytes) this.evict(e);
    return e;
  }

  /** A window entry used again by a later record: it moves to the main list. */
  private promote(e: CacheEntry): void {
    this.window.remove(e);
    e.inWindow = false;
    this.main.pushFront(e);
  }

  /** Serialises up to `max` of the oldest dirty entries plus every pending timer into one batch. */
  private writeDirty(max: number): void {
    if (this.dirtyBytes === 0) return;
    const { batch, seq } = this.store.batch();
    for (let n = 0; n < max; n++) {
      const e = this.dirty.shift();
      if (e === undefined) break;
      this.writeEntry(batch, e);
      e.batch = seq;
    }
    const timerBytes = this.timerOps.writeTo(batch, this.store.changes);
    this.bytes -= timerBytes;
    this.dirtyBytes -= timerBytes;
    this.store.schedule();
  }

  /** Serialises a dirty entry into `batch`, marks it clean and refines its size estimate. */
  private writeEntry(batch: StoreBatch, e: CacheEntry): Buffer {
    // Clean once written: a capture that owes the entry must have it first.
    this.epochs.settle(e);
    const w = this.w.reset();
    writeEntryKey(w, e);
    const key = w.view();
    let size: number;
    // Unchanged since the last snapshot point: that snapshot holds the value already.
    const changes = e.changed === this.epochs.epoch ? this.store.changes : undefined;
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
    this.dirty.dirtyCount--;
    e.stored = e.value !== undefined;
    return key;
  }

  /**
   * Evicts entries not used lately down to 90 % of the bound: the main list's first (its entries had
   * their chance to be reused), then the window's; never `current`, which its caller is about to use.
   */
  private evict(current: CacheEntry | undefined): void {
    const target = this.maxBytes * 0.9;
    let batch: PendingBatch | undefined;
    while (this.bytes > target) {
      let e = this.main.oldest;
      // Used since the list last passed it: a second chance at the front (each entry once per pass).
      if (e !== undefined && e !== current && e.referenced) {
        this.main.moveToFront(e, true);
        continue;
      }
      if (e === undefined || e === current) e = this.window.oldest;
      if (e === undefined || e === current) break;
      batch = this.drop(e, batch);
    }
    if (batch) {
      this.store.schedule();
      this.dirty.cleaned();
    }
  }

  /**
   * Moves the window's oldest entries out, down to its size: into the main list while the cache
   * has room (state that fits in memory is never read back), else out of the cache (keys not used
   * again in time). Those are written ahead, half a window at a time, and leave once their batch
   * is durable, so they need not stay readable in flight; should the batches lag a whole window
   * behind, the oldest go now.
   */
  private evictWindow(): void {
    let batch: PendingBatch | undefined;
    const durable = this.store.writtenSequence;
    for (let e = this.window.oldest; this.window.length > this.windowMax && e !== undefined; e = this.window.oldest) {
      // Below the eviction target, so the main list does not reach the bound and evict at once.
      if (this.bytes < this.maxBytes * ADMIT_BELOW) {
        this.promote(e);
        continue;
      }
      if (e.dirty) this.writeAhead();
      if (e.batch > durable && this.window.length <= 4 * this.windowMax) break;
      batch = this.drop(e, batch);
    }
    if (batch) this.store.schedule();
    this.dirty.cleaned();
  }

  /** Writes the window's oldest dirty entries (half a window of entries) into one batch; they stay cached, clean. */
  private writeAhead(): void {
    const { batch, seq } = this.store.batch();
    let n = 0;
    for (let e = this.window.oldest; e !== undefined && n < this.windowMax / 2; e = this.window.newerThan(e), n++) {
      if (!e.dirty) continue;
      this.writeEntry(batch, e);
      e.batch = seq;
    }
    this.store.schedule();
  }

  /**
   * Takes `e` out of the cache; a dirty entry is written into `batch` (the collecting batch
   * when undefined; returned). Until its batch is durable the value stays readable in flight.
   */
  private drop(e: CacheEntry, batch: PendingBatch | undefined): PendingBatch | undefined {
    (e.inWindow ? this.window : this.main).remove(e);
    e.table.delete(e.keyId);
    e.cached = false;
    if (e.table.size === 0 && e.namespace !== VOID_NAMESPACE) e.state.tables.delete(e.namespace);
    if (e.dirty) {
      batch ??= this.store.batch();
      const key = this.writeEntry(batch.batch, e);
      e.batch = batch.seq;
      this.inFlight.add(key.toString('latin1'), e.value, batch.seq);
    } else if (e.batch > this.store.writtenSequence) {
      // Written in a batch still in progress: stay readable until it is durable.
      const w = this.w.reset();
      writeEntryKey(w, e);
      this.inFlight.add(w.buf.toString('latin1', 0, w.pos), e.value, e.batch);
    }
    this.bytes -= e.size;
    return batch;
  }
}
