/**
 * Nexmark q11, user sessions: bids per bidder in event-time sessions with a 10 s gap.
 * ```sql
 * SELECT B.bidder, count(*) AS bid_count,
 *        SESSION_START(B.dateTime, INTERVAL '10' SECOND) AS starttime,
 *        SESSION_END(B.dateTime, INTERVAL '10' SECOND) AS endtime
 * FROM bid B GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND)
 * ```
 */
import { type Collector, type DataStream, EventTimeSessionWindows, type ProcessWindowContext } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';
import { countAggregate } from './count.js';

/** Session gap of q11. */
export const Q11_GAP_MS = 10_000;

/** Bids of one bidder in one session. */
export interface Q11Row {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

/** The q11 pipeline. */
export function q11(events: DataStream<NexmarkEvent>): DataStream<Q11Row> {
  return bidsOf(events, 'q11 bids')
    .keyBy((b: Bid) => b.bidder)
    .window(EventTimeSessionWindows.withGap(Q11_GAP_MS))
    .aggregate(countAggregate, (bidder: number, ctx: ProcessWindowContext, counts: Iterable<number>, out: Collector<Q11Row>) => {
      for (const n of counts) out.collect({ bidder, bid_count: n, starttime: ctx.window.start, endtime: ctx.window.end });
    })
    .name('q11 user sessions');
}
