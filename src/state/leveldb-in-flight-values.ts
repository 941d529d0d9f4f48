/**
 * Values handed to LevelDB batches that are not written yet. An entry evicted from the
 * write-back cache while its batch is in progress must stay readable until the batch is durable,
 * or a read in between would miss it in the cache and find the older value in the database.
 */

/** A value waiting for its batch. */
export interface InFlightValue {
  value: unknown;
  batch: number;
}

/** The in-flight values of one cache, by encoded entry key (latin1), released per batch. */
export class InFlightValues {
  private readonly values = new Map<string, InFlightValue>();
  /** Per batch in progress: the keys it owns. */
  private readonly keysOf = new Map<number, string[]>();

  /** How many values are in flight (0 lets a read skip the lookup). */
  get size(): number {
    return this.values.size;
  }

  /** The value in flight under `key`, if any. */
  get(key: string): InFlightValue | undefined {
    return this.values.get(key);
  }

  /** Keeps `value` readable under `key` until batch `batch` is written. */
  add(key: string, value: unknown, batch: number): void {
    this.values.set(key, { value, batch });
    const owned = this.keysOf.get(batch);
    if (owned) owned.push(key);
    else this.keysOf.set(batch, [key]);
  }

  /** Batch `batch` is durable: its values are readable from the database now. */
  written(batch: number): void {
    const keys = this.keysOf.get(batch);
    if (!keys) return;
    this.keysOf.delete(batch);
    for (const k of keys) if (this.values.get(k)?.batch === batch) this.values.delete(k);
  }
}
