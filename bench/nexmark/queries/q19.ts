/**
 * Nexmark q19, auction top-10 price (top-N):
 * ```sql
 * SELECT * FROM (
 *   SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
 * WHERE rank_number <= 10
 * ```
 * A {@link TopNFunction}: the result is a changelog of the bids with their rank numbers.
 */
import { type Change, type DataStream, type Ranked, TopNFunction } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** A bid among its auction's ten highest, with its rank. */
export interface Q19Row {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
  rank_number: number;
}

const toRow = ({ row: b, rank }: Ranked<Bid>): Q19Row => ({
  auction: b.auction,
  bidder: b.bidder,
  price: b.price,
  channel: b.channel,
  url: b.url,
  dateTime: b.dateTime,
  extra: b.extra,
  rank_number: rank,
});

/** The q19 pipeline. */
export function q19(events: DataStream<NexmarkEvent>): DataStream<Change<Q19Row>> {
  return bidsOf(events, 'q19 bids')
    .keyBy((b: Bid) => b.auction)
    .process(new TopNFunction<number, Bid>(10, (a, b) => b.price - a.price))
    .name('q19 top 10 per auction')
    .map((c: Change<Ranked<Bid>>): Change<Q19Row> => ({ kind: c.kind, row: toRow(c.row) }))
    .name('q19 rows');
}
