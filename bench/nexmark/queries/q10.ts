/**
 * Nexmark q10, log to file system:
 * ```sql
 * SELECT auction, bidder, price, dateTime, extra,
 *        DATE_FORMAT(dateTime, 'yyyy-MM-dd'), DATE_FORMAT(dateTime, 'HH:mm') FROM bid
 * ```
 * The reference writes into a file system table partitioned by `dt` and `hm`; the job file
 * writes the rows with a FileSink when given `--out` (Fluss's FileSink has no partitioning
 * bucket assigner: the partition columns are carried in each row). Dates are formatted in UTC.
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';
import { dayOf, hourMinuteOf } from './time-format.js';

/** A bid with its partition columns. */
export interface Q10Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
  dt: string;
  hm: string;
}

/** Every bid with its day and minute. */
export function q10(events: DataStream<NexmarkEvent>): DataStream<Q10Row> {
  return bidsOf(events, 'q10 bids')
    .map((b: Bid): Q10Row => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra, dt: dayOf(b.dateTime), hm: hourMinuteOf(b.dateTime) }))
    .name('q10 partition columns');
}
