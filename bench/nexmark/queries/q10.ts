/**
 * Nexmark q10, log to file system:
 * ```sql
 * SELECT auction, bidder, price, dateTime, extra,
 *        DATE_FORMAT(dateTime, 'yyyy-MM-dd'), DATE_FORMAT(dateTime, 'HH:mm') FROM bid
 * ```
 * The reference writes into a file system table partitioned by `dt` and `hm`; given `--out`,
 * the job file writes the rows with a FileSink whose bucket assigner ({@link q10Buckets}) puts
 * them in the same partition directories, `dt=2026-12-03/hm=10%3A15` (values escaped as Flink's
 * file system connector escapes partition paths: ':' is `%3A`). The rows still carry `dt` and
 * `hm` (the reference's files do not). Dates are formatted in UTC.
 */
import type { BucketAssigner, DataStream } from 'fluss';
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

/** Characters Flink's file system connector (as Hive) escapes in partition path values. */
const ESCAPED = /[\x00-\x1f"#%'*/:=?\\\x7f{[\]^]/g;

/** `value` as a partition path value: escaped characters become `%XX`. */
export function escapePartitionValue(value: string): string {
  return value.replace(ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

let lastDt = '';
let lastHm = '';
let lastBucket = '';

/**
 * The reference's partitions as FileSink buckets: `dt=<dt>/hm=<hm>`, from the row's event-time
 * columns. Consecutive bids share their minute, so the path is built once per minute.
 */
export const q10Buckets: BucketAssigner<Q10Row> = {
  getBucketId(row: Q10Row): string {
    if (row.dt !== lastDt || row.hm !== lastHm) {
      lastDt = row.dt;
      lastHm = row.hm;
      lastBucket = `dt=${escapePartitionValue(row.dt)}/hm=${escapePartitionValue(row.hm)}`;
    }
    return lastBucket;
  },
};
