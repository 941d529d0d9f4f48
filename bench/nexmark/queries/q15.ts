/**
 * Nexmark q15, bidding statistics report:
 * ```sql
 * SELECT DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day,
 *   count(*) AS total_bids,
 *   count(*) FILTER (WHERE price < 10000) AS rank1_bids,
 *   count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
 *   count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
 *   count(DISTINCT bidder) AS total_bidders, … FILTER … AS rank1_bidders … rank3_bidders,
 *   count(DISTINCT auction) AS total_auctions, … FILTER … AS rank1_auctions … rank3_auctions
 * FROM bid GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd')
 * ```
 * The result is a changelog of rows (see bidding-statistics.ts).
 */
import type { Change, DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { type BiddingStatistics, BiddingStatisticsFunction } from './bidding-statistics.js';
import { bidsOf } from './streams.js';
import { dayOf } from './time-format.js';

/** One day's statistics. */
export interface Q15Row {
  day: string;
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  total_bidders: number;
  rank1_bidders: number;
  rank2_bidders: number;
  rank3_bidders: number;
  total_auctions: number;
  rank1_auctions: number;
  rank2_auctions: number;
  rank3_auctions: number;
}

/** The statistics columns shared by q15 and q16. */
export function statisticsColumns(s: BiddingStatistics): Omit<Q15Row, 'day'> {
  return {
    total_bids: s.bids.total,
    rank1_bids: s.bids.rank1,
    rank2_bids: s.bids.rank2,
    rank3_bids: s.bids.rank3,
    total_bidders: s.bidders.total,
    rank1_bidders: s.bidders.rank1,
    rank2_bidders: s.bidders.rank2,
    rank3_bidders: s.bidders.rank3,
    total_auctions: s.auctions.total,
    rank1_auctions: s.auctions.rank1,
    rank2_auctions: s.auctions.rank2,
    rank3_auctions: s.auctions.rank3,
  };
}

/** The q15 pipeline. */
export function q15(events: DataStream<NexmarkEvent>): DataStream<Change<Q15Row>> {
  return bidsOf(events, 'q15 bids')
    .keyBy((b: Bid) => dayOf(b.dateTime))
    .process(new BiddingStatisticsFunction<string, Q15Row>((day, s) => ({ day, ...statisticsColumns(s) })))
    .name('q15 statistics per day');
}
