/**
 * Nexmark q22, get URL directories:
 * ```sql
 * SELECT auction, bidder, price, channel,
 *   SPLIT_INDEX(url, '/', 3) AS dir1, SPLIT_INDEX(url, '/', 4) AS dir2, SPLIT_INDEX(url, '/', 5) AS dir3
 * FROM bid
 * ```
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** A bid with the first three directories of its url. */
export interface Q22Row {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  dir1: string | null;
  dir2: string | null;
  dir3: string | null;
}

/** `SPLIT_INDEX(s, sep, i)`: the i-th (0-based) piece of `s` split at `sep`, null past the end. */
export function splitIndex(s: string, sep: string, i: number): string | null {
  return s.split(sep)[i] ?? null;
}

/** The q22 pipeline. */
export function q22(events: DataStream<NexmarkEvent>): DataStream<Q22Row> {
  return bidsOf(events, 'q22 bids')
    .map((b: Bid): Q22Row => {
      const parts = b.url.split('/');
      return { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, dir1: parts[3] ?? null, dir2: parts[4] ?? null, dir3: parts[5] ?? null };
    })
    .name('q22 url directories');
}
