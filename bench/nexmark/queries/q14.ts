/**
 * Nexmark q14, calculation:
 * ```sql
 * SELECT auction, bidder, 0.908 * price AS price,
 *   CASE WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18 THEN 'dayTime'
 *        WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime'
 *        ELSE 'otherTime' END AS bidTimeType,
 *   dateTime, extra, count_char(extra, 'c') AS c_counts
 * FROM bid WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000
 * ```
 * `count_char` is the reference's scalar UDF (occurrences of a character); HOUR is taken in UTC.
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { toEuro } from './q1.js';
import { bidsOf } from './streams.js';
import { hourOf } from './time-format.js';

/** A converted, classified bid. */
export interface Q14Row {
  auction: number;
  bidder: number;
  price: number;
  bidTimeType: string;
  dateTime: number;
  extra: string;
  c_counts: number;
}

/** The reference's `count_char` UDF: how often `c` (one character) occurs in `s`. */
export function countChar(s: string, c: string): number {
  const code = c.charCodeAt(0);
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === code) n++;
  return n;
}

/** The CASE expression on the bid's hour. */
export function bidTimeType(dateTime: number): string {
  const h = hourOf(dateTime);
  if (h >= 8 && h <= 18) return 'dayTime';
  if (h <= 6 || h >= 20) return 'nightTime';
  return 'otherTime';
}

/** The q14 pipeline. */
export function q14(events: DataStream<NexmarkEvent>): DataStream<Q14Row> {
  return bidsOf(events, 'q14 bids')
    .filter((b: Bid) => {
      const p = toEuro(b.price);
      return p > 1_000_000 && p < 50_000_000;
    })
    .name('q14 price range')
    .map((b: Bid): Q14Row => ({
      auction: b.auction,
      bidder: b.bidder,
      price: toEuro(b.price),
      bidTimeType: bidTimeType(b.dateTime),
      dateTime: b.dateTime,
      extra: b.extra,
      c_counts: countChar(b.extra, 'c'),
    }))
    .name('q14 calculation');
}
