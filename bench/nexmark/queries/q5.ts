/**
 * Nexmark q5, hot items: bids counted per auction in sliding windows of 10 s every 2 s
 * (`HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND)`), then
 * the auctions whose count is the highest of their window (`num >= max(num)` per window).
 *
 * Stage 1 is a keyed sliding-window count; stage 2 keys the counts by window and, once the
 * watermark passes the window's end, emits the auctions with the top count.
 */
import {
  type Collector,
  type DataStream,
  KeyedProcessFunction,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessWindowContext,
  SlidingEventTimeWindows,
  type ValueState,
  ValueStateDescriptor,
} from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';
import { countAggregate } from './count.js';

/** Bids of one auction in one window. */
export interface AuctionCount {
  auction: number;
  num: number;
  starttime: number;
  endtime: number;
}

/** A hot item of a window. */
export interface Q5Row {
  auction: number;
  num: number;
}

interface Leaders {
  max: number;
  auctions: number[];
}

/** Keeps the top count of a window and the auctions that have it. */
export class HottestOfWindow extends KeyedProcessFunction<number, AuctionCount, Q5Row> {
  private leaders!: ValueState<Leaders>;

  override open(): void {
    this.leaders = this.getRuntimeContext().getState(new ValueStateDescriptor<Leaders>('leaders'));
  }

  processElement(c: AuctionCount, ctx: KeyedProcessContext<number>): void {
    let l = this.leaders.value();
    if (!l) {
      l = { max: c.num, auctions: [c.auction] };
      // Counts carry timestamp end - 1; the watermark passing it means all counts are here.
      ctx.timerService().registerEventTimeTimer(c.endtime - 1);
    } else if (c.num > l.max) {
      l.max = c.num;
      l.auctions = [c.auction];
    } else if (c.num === l.max) {
      l.auctions.push(c.auction);
    } else {
      return;
    }
    this.leaders.update(l);
  }

  override onTimer(_ts: number, _ctx: OnTimerContext<number>, out: Collector<Q5Row>): void {
    const l = this.leaders.value();
    if (!l) return;
    for (const auction of l.auctions) out.collect({ auction, num: l.max });
    this.leaders.clear();
  }
}

/** The q5 pipeline. */
export function q5(events: DataStream<NexmarkEvent>): DataStream<Q5Row> {
  return bidsOf(events, 'q5 bids')
    // The query reads only the auction (and the event time, the record's timestamp): project
    // before the shuffle, as the reference's planner does.
    .map((b: Bid) => b.auction)
    .name('q5 project auction')
    .keyBy((auction: number) => auction)
    .window(SlidingEventTimeWindows.of(10_000, 2_000))
    .aggregate(countAggregate, (auction: number, ctx: ProcessWindowContext, counts: Iterable<number>, out: Collector<AuctionCount>) => {
      for (const num of counts) out.collect({ auction, num, starttime: ctx.window.start, endtime: ctx.window.end });
    })
    .name('q5 bids per auction')
    .keyBy((c: AuctionCount) => c.starttime)
    .process(new HottestOfWindow())
    .name('q5 hot items');
}
