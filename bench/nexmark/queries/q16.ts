/**
 * Nexmark q16, channel statistics report: q15's statistics per channel and day, with
 * `max(DATE_FORMAT(dateTime, 'HH:mm')) AS minute`:
 * ```sql
 * SELECT channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, max(DATE_FORMAT(dateTime, 'HH:mm')) AS minute,
 *   count(*) AS total_bids, … (as q15)
 * FROM bid GROUP BY channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
 * ```
 * The result is a changelog of rows (see bidding-statistics.ts).
 */
import type { Change, DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { BiddingStatisticsFunction } from './bidding-statistics.js';
import { type Q15Row, statisticsColumns } from './q15.js';
import { bidsOf } from './streams.js';
import { dayOf } from './time-format.js';

/** One channel's statistics of one day. */
export interface Q16Row extends Q15Row {
  channel: string;
  minute: string;
}

/** The q16 pipeline. */
export function q16(events: DataStream<NexmarkEvent>): DataStream<Change<Q16Row>> {
  return bidsOf(events, 'q16 bids')
    .keyBy((b: Bid) => `${b.channel}|${dayOf(b.dateTime)}`)
    .process(
      new BiddingStatisticsFunction<string, Q16Row>((key, s) => {
        const bar = key.lastIndexOf('|');
        return { channel: key.slice(0, bar), day: key.slice(bar + 1), minute: s.minute, ...statisticsColumns(s) };
      }),
    )
    .name('q16 statistics per channel and day');
}
