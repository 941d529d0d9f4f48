/**
 * Keyed state entries read in batches. A snapshot's entries are an `AsyncIterable` (the LevelDB
 * backend reads them from iterators, the memory backend in event-loop slices), but awaiting each
 * of millions of entries costs a few promises apiece, and their allocation and bookkeeping
 * outweighed encoding the entries when a checkpoint wrote them. Sources that produce entries in
 * batches say so ({@link BatchedEntries}); writers read batches through {@link entryBatches}.
 */
import type { KeyedStateEntry } from './keyed-state-backend.js';

/** Entries a source can also hand out a batch at a time (each entry once, in the same order). */
export interface BatchedEntries extends AsyncIterable<KeyedStateEntry> {
  /** The entries in batches; reading them this way or one by one, once. */
  batches(): AsyncIterable<KeyedStateEntry[]>;
}

/** Entries grouped when a source hands them out one by one. */
const GROUP = 1024;

/** The batches of `entries`: its own when it has them, else its entries grouped. */
export async function* entryBatches(entries: AsyncIterable<KeyedStateEntry> | Iterable<KeyedStateEntry>): AsyncIterable<KeyedStateEntry[]> {
  const batched = entries as Partial<BatchedEntries>;
  if (typeof batched.batches === 'function') {
    yield* batched.batches();
    return;
  }
  let batch: KeyedStateEntry[] = [];
  for await (const e of entries) {
    batch.push(e);
    if (batch.length >= GROUP) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
