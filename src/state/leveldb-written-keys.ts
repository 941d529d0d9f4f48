/**
 * Every state key a write-back cache ever cached (so every key it can have written to LevelDB),
 * in a growing Bloom filter: a key it rules out is in neither the cache nor the database, and
 * skips the table lookup and the LevelDB read. Its memory counts against the cache's bound; a
 * filter that would take more than half of the bound is dropped, and so is one that something
 * wrote around (a restore): every miss reads LevelDB then, as without a filter.
 */
import { KeyBloomFilter } from './key-bloom-filter.js';
import type { KeyWriter } from './key-codec.js';

/** The filter of keys a cache has seen. */
export class WrittenKeys {
  private filter: KeyBloomFilter | undefined;
  /** Bytes of the filter counted against the cache's bound so far. */
  private counted = 0;

  /**
   * @param initialKeys keys the filter is sized for at first (it grows with the keys added)
   * @param account adds a change of the filter's memory to the cache's bytes
   * @param limit the most bytes the filter may take
   */
  constructor(
    initialKeys: number,
    private readonly account: (deltaBytes: number) => void,
    private readonly limit: () => number,
  ) {
    this.filter = new KeyBloomFilter(initialKeys);
    this.grew(this.filter.memoryBytes);
  }

  /** False once dropped: nothing is ruled out then. */
  get active(): boolean {
    return this.filter !== undefined;
  }

  /** Records the key in `w`; true when it was certainly new. False without a filter. */
  remember(w: KeyWriter): boolean {
    const f = this.filter;
    if (f === undefined || !f.addIfAbsent(w.buf, w.pos)) return false;
    if (f.memoryBytes !== this.counted) this.grew(f.memoryBytes);
    return true;
  }

  /** Drops the filter (its memory is given back). */
  drop(): void {
    this.filter = undefined;
    this.account(-this.counted);
    this.counted = 0;
  }

  private grew(bytes: number): void {
    if (bytes > this.limit()) return this.drop();
    this.account(bytes - this.counted);
    this.counted = bytes;
  }
}
