/**
 * Nexmark q17, auction statistics report (an unbounded group aggregation):
 * ```sql
 * SELECT auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day,
 *   count(*) AS total_bids,
 *   count(*) FILTER (WHERE price < 10000) AS rank1_bids,
 *   count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
 *   count(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
 *   min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price
 * FROM bid GROUP BY auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
 * ```
 * A {@link GroupAggregateFunction}: the result is a changelog of rows. AVG of a BIGINT is a
 * BIGINT in Flink (truncated).
 */
import { type Change, type DataStream, GroupAggregateFunction } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';
import { dayOf } from './time-format.js';

/** One auction's statistics of one day. */
export interface Q17Row {
  auction: number;
  day: string;
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  min_price: number;
  max_price: number;
  avg_price: number;
  sum_price: number;
}

interface Acc {
  n: number;
  r1: number;
  r2: number;
  r3: number;
  min: number;
  max: number;
  sum: number;
}

/** The q17 pipeline. */
export function q17(events: DataStream<NexmarkEvent>): DataStream<Change<Q17Row>> {
  return bidsOf(events, 'q17 bids')
    .keyBy((b: Bid) => `${b.auction}|${dayOf(b.dateTime)}`)
    .process(
      new GroupAggregateFunction<string, Bid, Acc, Q17Row>({
        createAccumulator: () => ({ n: 0, r1: 0, r2: 0, r3: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, sum: 0 }),
        add: (b, a) => {
          a.n++;
          if (b.price < 10_000) a.r1++;
          else if (b.price < 1_000_000) a.r2++;
          else a.r3++;
          if (b.price < a.min) a.min = b.price;
          if (b.price > a.max) a.max = b.price;
          a.sum += b.price;
          return a;
        },
        getResult: (a, key) => {
          const bar = key.indexOf('|');
          return {
            auction: Number(key.slice(0, bar)),
            day: key.slice(bar + 1),
            total_bids: a.n,
            rank1_bids: a.r1,
            rank2_bids: a.r2,
            rank3_bids: a.r3,
            min_price: a.min,
            max_price: a.max,
            avg_price: Math.trunc(a.sum / a.n),
            sum_price: a.sum,
          };
        },
      }),
    )
    .name('q17 group aggregate');
}
