/**
 * A LevelDB store with a bounded write-back cache, the storage under the `leveldb` keyed state
 * backend. An awaited LevelDB get/put costs ~50 µs here, far too slow per record, so:
 * reads hit the cache or fall through to `getSync`; writes only mark cache entries dirty;
 * dirty entries are written in chained batches in the background once enough accumulate
 * (and by {@link flush}, at the latest when a checkpoint starts). Entries being written stay
 * readable until their batch is durable. The cache is an LRU bounded in bytes; clean entries
 * are evicted freely, dirty ones are handed to the next batch first.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';

type Db = ClassicLevel<Buffer, Buffer>;

/** Marks a deleted entry in the cache and in batches in flight. */
const TOMBSTONE = null;
type CachedValue = Buffer | typeof TOMBSTONE;

interface CacheEntry {
  value: CachedValue;
  dirty: boolean;
}

/** Approximate bookkeeping cost of one cached entry beyond its key and value bytes. */
const ENTRY_OVERHEAD = 96;

/** Options of a {@link LevelDbStore}. */
export interface LevelDbStoreOptions {
  /** Directory of the database; created, and removed by {@link LevelDbStore.destroy}. */
  path: string;
  /** Memory bound of the cache in bytes. */
  cacheBytes: number;
  /** Start a background batch once this many dirty bytes accumulated (default cacheBytes / 4). */
  flushThresholdBytes?: number;
}

/** A key/value pair read back from the store. */
export interface StoreEntry {
  key: Buffer;
  value: Buffer;
}

/** LevelDB with a synchronous, write-back cached key/value API. */
export class LevelDbStore {
  private readonly db: Db;
  /** LRU order: Map iteration order, refreshed by delete + set on access. */
  private readonly cache = new Map<string, CacheEntry>();
  /** Dirty entries handed to batches that are not durable yet, newest wins. */
  private readonly inFlight = new Map<string, CachedValue>();
  private cacheBytes = 0;
  private dirtyBytes = 0;
  private readonly flushThreshold: number;
  private writing: Promise<void> = Promise.resolve();
  private writeError: Error | undefined;
  private closed = false;

  private constructor(private readonly options: LevelDbStoreOptions, db: Db) {
    this.db = db;
    this.flushThreshold = options.flushThresholdBytes ?? Math.max(64 * 1024, Math.floor(options.cacheBytes / 4));
  }

  /** Opens (creating) the database at `options.path`. */
  static async open(options: LevelDbStoreOptions): Promise<LevelDbStore> {
    mkdirSync(options.path, { recursive: true });
    const db = new ClassicLevel<Buffer, Buffer>(options.path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return new LevelDbStore(options, db);
  }

  /** The value of `key`, or undefined. Synchronous: cache, then batches in flight, then `getSync`. */
  get(key: Buffer): Buffer | undefined {
    this.throwIfFailed();
    const k = key.toString('latin1');
    const hit = this.cache.get(k);
    if (hit) {
      this.cache.delete(k);
      this.cache.set(k, hit);
      return hit.value ?? undefined;
    }
    if (this.inFlight.has(k)) return this.inFlight.get(k) ?? undefined;
    const value = this.db.getSync(key) ?? TOMBSTONE;
    this.insert(k, { value, dirty: false });
    return value ?? undefined;
  }

  /** Stores `value` under `key` (written to LevelDB later). */
  put(key: Buffer, value: Buffer): void {
    this.write(key.toString('latin1'), value);
  }

  /** Deletes `key`. */
  delete(key: Buffer): void {
    this.write(key.toString('latin1'), TOMBSTONE);
  }

  /** Writes every dirty entry and waits until all batches are durable. */
  async flush(): Promise<void> {
    this.startBatch();
    await this.writing;
    this.throwIfFailed();
  }

  /**
   * Entries with `start <= key < end` in key order, after a flush so the database holds
   * everything (used for key-group ranges: snapshots, timers, rescaling).
   */
  async *range(start: Buffer, end: Buffer): AsyncGenerator<StoreEntry> {
    await this.flush();
    for await (const [key, value] of this.db.iterator({ gte: start, lt: end })) yield { key, value };
  }

  /** A consistent view of the database for an asynchronous snapshot: flush, then iterate. */
  async snapshotRange(start: Buffer, end: Buffer): Promise<AsyncIterable<StoreEntry>> {
    await this.flush();
    // The iterator is created now, so it reads an implicit snapshot taken at this point.
    const it = this.db.iterator({ gte: start, lt: end });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const [key, value] of it) yield { key, value };
      },
    };
  }

  /** Writes `entries` straight into the database (restore), bypassing the cache. */
  async load(entries: Iterable<StoreEntry>): Promise<void> {
    let batch = this.db.batch();
    let n = 0;
    for (const { key, value } of entries) {
      batch.put(key, value);
      if (++n % 10_000 === 0) {
        await batch.write();
        batch = this.db.batch();
      }
    }
    await batch.write();
  }

  /** Bytes held by the cache (approximate). */
  get cachedBytes(): number {
    return this.cacheBytes;
  }

  /** Flushes and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.db.close();
    }
  }

  /** Closes without flushing and removes the database directory (the task ended). */
  async destroy(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.writing.catch(() => undefined);
      await this.db.close();
    }
    rmSync(this.options.path, { recursive: true, force: true });
  }

  private write(k: string, value: CachedValue): void {
    this.throwIfFailed();
    const old = this.cache.get(k);
    if (old) {
      this.cache.delete(k);
      this.cacheBytes -= entrySize(k, old.value);
      if (old.dirty) this.dirtyBytes -= entrySize(k, old.value);
    }
    this.insert(k, { value, dirty: true });
    this.dirtyBytes += entrySize(k, value);
    if (this.dirtyBytes >= this.flushThreshold) this.startBatch();
  }

  private insert(k: string, entry: CacheEntry): void {
    this.cache.set(k, entry);
    this.cacheBytes += entrySize(k, entry.value);
    if (this.cacheBytes > this.options.cacheBytes) this.evict();
  }

  /** Evicts least recently used entries down to 90 % of the bound; dirty ones go to a batch. */
  private evict(): void {
    const target = this.options.cacheBytes * 0.9;
    let spill: Array<[string, CachedValue]> | undefined;
    for (const [k, entry] of this.cache) {
      if (this.cacheBytes <= target) break;
      this.cache.delete(k);
      const size = entrySize(k, entry.value);
      this.cacheBytes -= size;
      if (entry.dirty) {
        this.dirtyBytes -= size;
        (spill ??= []).push([k, entry.value]);
      }
    }
    if (spill) this.writeBatch(spill);
  }

  /** Moves every dirty cache entry into a background batch. */
  private startBatch(): void {
    if (this.dirtyBytes === 0) return;
    const entries: Array<[string, CachedValue]> = [];
    for (const [k, entry] of this.cache) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      entries.push([k, entry.value]);
    }
    this.dirtyBytes = 0;
    this.writeBatch(entries);
  }

  private writeBatch(entries: Array<[string, CachedValue]>): void {
    if (entries.length === 0) return;
    for (const [k, v] of entries) this.inFlight.set(k, v);
    const batch = this.db.batch();
    for (const [k, v] of entries) {
      const key = Buffer.from(k, 'latin1');
      if (v === TOMBSTONE) batch.del(key);
      else batch.put(key, v);
    }
    // Batches are chained so they apply in order; an entry leaves `inFlight` only if no newer
    // batch re-wrote it meanwhile.
    this.writing = this.writing.then(async () => {
      try {
        await batch.write();
      } catch (cause) {
        this.writeError = new Error(`LevelDB write failed at ${this.options.path}: ${(cause as Error).message}`, { cause });
        throw this.writeError;
      } finally {
        for (const [k, v] of entries) if (this.inFlight.get(k) === v) this.inFlight.delete(k);
      }
    });
    this.writing.catch(() => undefined);
  }

  private throwIfFailed(): void {
    if (this.writeError) throw this.writeError;
    if (this.closed) throw new Error(`LevelDB store at ${this.options.path} is closed`);
  }
}

function entrySize(k: string, v: CachedValue): number {
  return k.length + (v ? v.length : 0) + ENTRY_OVERHEAD;
}
