/**
 * Nexmark q18, find last bid (deduplication):
 * ```sql
 * SELECT auction, bidder, price, channel, url, dateTime, extra FROM (
 *   SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number
 *   FROM bid)
 * WHERE rank_number <= 1
 * ```
 * A {@link DeduplicateFunction} keeping the last row by `dateTime`: the result is a changelog.
 */
import { type Change, type DataStream, DeduplicateFunction } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** The q18 pipeline. */
export function q18(events: DataStream<NexmarkEvent>): DataStream<Change<Bid>> {
  return bidsOf(events, 'q18 bids')
    .keyBy((b: Bid) => `${b.bidder}|${b.auction}`)
    .process(new DeduplicateFunction<string, Bid>('last', (b) => b.dateTime))
    .name('q18 last bid per bidder and auction');
}
