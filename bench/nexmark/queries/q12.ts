/**
 * Nexmark q12, processing-time windows: bids per bidder in 10 s processing-time tumbling
 * windows.
 * ```sql
 * SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
 * FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
 * GROUP BY bidder, window_start, window_end
 * ```
 * A bounded run ends inside a processing-time window; the runtime (as Flink) does not fire
 * processing-time timers at end of input, so the trigger also fires on the final watermark:
 * the window still open at the end is emitted instead of lost.
 */
import {
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  Trigger,
  type TriggerContext,
  type TriggerResult,
  TumblingProcessingTimeWindows,
  type Window,
} from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
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

/** The end of input's watermark (the largest safe integer). */
const END_OF_INPUT = Number.MAX_SAFE_INTEGER;

/** Fires at the window's end in processing time, or at the end of input, whichever is first. */
export class ProcessingTimeOrEndOfInputTrigger extends Trigger<unknown, Window> {
  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    ctx.registerEventTimeTimer(END_OF_INPUT);
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'FIRE_AND_PURGE';
  }
  onEventTime(time: number): TriggerResult {
    return time >= END_OF_INPUT ? 'FIRE_AND_PURGE' : 'CONTINUE';
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
    ctx.deleteEventTimeTimer(END_OF_INPUT);
  }
}

/** The q12 pipeline. */
export function q12(events: DataStream<NexmarkEvent>): DataStream<Q12Row> {
  return bidsOf(events, 'q12 bids')
    // The query reads only the bidder: project before the shuffle, as the reference's planner does.
    .map((b: Bid) => b.bidder)
    .name('q12 project bidder')
    .keyBy((bidder: number) => bidder)
    .window(TumblingProcessingTimeWindows.of(Q12_WINDOW_MS))
    .trigger(new ProcessingTimeOrEndOfInputTrigger())
    .aggregate(countAggregate, (bidder: number, ctx: ProcessWindowContext, counts: Iterable<number>, out: Collector<Q12Row>) => {
      for (const n of counts) out.collect({ bidder, bid_count: n, starttime: ctx.window.start, endtime: ctx.window.end });
    })
    .name('q12 processing-time windows');
}
