/**
 * Nexmark q12, processing-time windows: bids per bidder in 10 s processing-time tumbling
 * windows.
 * ```sql
 * SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
 * FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
 * GROUP BY bidder, window_start, window_end
 * ```
 */
import { type Bid, type Collector, type DataStream, type NexmarkEvent, type ProcessWindowContext, TumblingProcessingTimeWindows } from 'fluss';
import { bidsOf } from './streams.js';
import { countAggregate } from './count.js';

/** Window size of q12. */
export const Q12_WINDOW_MS = 10_000;

/** Bids of one bidder in one processing-time window. */
export interface Q12Row {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

/** The q12 pipeline. */
export function q12(events: DataStream<NexmarkEvent>): DataStream<Q12Row> {
  return bidsOf(events, 'q12 bids')
    .keyBy((b: Bid) => b.bidder)
    .window(TumblingProcessingTimeWindows.of(Q12_WINDOW_MS))
    .aggregate(countAggregate, (bidder: number, ctx: ProcessWindowContext, counts: Iterable<number>, out: Collector<Q12Row>) => {
      for (const n of counts) out.collect({ bidder, bid_count: n, starttime: ctx.window.start, endtime: ctx.window.end });
    })
    .name('q12 processing-time windows');
}
