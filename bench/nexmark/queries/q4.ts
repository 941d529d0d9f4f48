/**
 * Nexmark q4, average price per category:
 * ```sql
 * SELECT Q.category, AVG(Q.final) FROM (
 *   SELECT MAX(B.price) AS final, A.category FROM auction A, bid B
 *   WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
 *   GROUP BY A.id, A.category) Q
 * GROUP BY Q.category
 * ```
 * Stage 1 keys auctions and bids by auction id and keeps the highest bid inside the auction's
 * window; once the watermark passes `expires` no bid can still qualify, so the winning price
 * is emitted and the state dropped. Stage 2 keeps sum and count per category and emits the
 * updated average (Flink's AVG of a BIGINT is a BIGINT: the quotient is truncated).
 */
import {
  type Collector,
  type DataStream,
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  type KeyedProcessContext,
  type ListState,
  ListStateDescriptor,
  type OnTimerContext,
  type ValueState,
  ValueStateDescriptor,
} from 'fluss';
import type { Auction, Bid, NexmarkEvent } from 'fluss/nexmark';
import { auctionsOf, bidsOf } from './streams.js';

/** The winning price of one auction. */
export interface WinningBid {
  auction: number;
  category: number;
  final: number;
}

/** Average winning price of a category so far. */
export interface Q4Row {
  category: number;
  avg: number;
}

interface OpenAuction {
  dateTime: number;
  expires: number;
  category: number;
  /** Highest qualifying price so far, -1 while none. */
  max: number;
}

/** [price, dateTime] of a bid that arrived before its auction. */
type EarlyBid = [number, number];

/** Highest bid within each auction's window. */
export class WinningBids extends KeyedCoProcessFunction<number, Auction, Bid, WinningBid> {
  private auction!: ValueState<OpenAuction>;
  private early!: ListState<EarlyBid>;

  override open(): void {
    this.auction = this.getRuntimeContext().getState(new ValueStateDescriptor<OpenAuction>('auction'));
    this.early = this.getRuntimeContext().getListState(new ListStateDescriptor<EarlyBid>('early-bids'));
  }

  processElement1(a: Auction, ctx: KeyedProcessContext<number>): void {
    let max = -1;
    for (const [price, time] of this.early.get()) if (time >= a.dateTime && time <= a.expires && price > max) max = price;
    this.early.clear();
    this.auction.update({ dateTime: a.dateTime, expires: a.expires, category: a.category, max });
    ctx.timerService().registerEventTimeTimer(a.expires);
  }

  processElement2(b: Bid, ctx: KeyedProcessContext<number>): void {
    const a = this.auction.value();
    if (a) {
      if (b.price > a.max && b.dateTime >= a.dateTime && b.dateTime <= a.expires) {
        a.max = b.price;
        this.auction.update(a);
      }
      return;
    }
    // The auction is not here (yet, or any more): keep the bid until the watermark proves
    // that no auction can still take it (an auction must start no later than the bid).
    this.early.add([b.price, b.dateTime]);
    ctx.timerService().registerEventTimeTimer(b.dateTime);
  }

  override onTimer(timestamp: number, ctx: OnTimerContext<number>, out: Collector<WinningBid>): void {
    const a = this.auction.value();
    if (a && timestamp >= a.expires) {
      if (a.max >= 0) out.collect({ auction: ctx.getCurrentKey(), category: a.category, final: a.max });
      this.auction.clear();
    }
    const early = [...this.early.get()];
    if (early.length > 0) {
      const keep = early.filter((e) => e[1] > timestamp);
      if (keep.length === 0) this.early.clear();
      else if (keep.length < early.length) this.early.update(keep);
    }
  }
}

interface Average {
  sum: number;
  count: number;
}

/** Running average of the winning prices per category. */
export class CategoryAverage extends KeyedProcessFunction<number, WinningBid, Q4Row> {
  private avg!: ValueState<Average>;

  override open(): void {
    this.avg = this.getRuntimeContext().getState(new ValueStateDescriptor<Average>('average'));
  }

  processElement(w: WinningBid, _ctx: KeyedProcessContext<number>, out: Collector<Q4Row>): void {
    const s = this.avg.value() ?? { sum: 0, count: 0 };
    s.sum += w.final;
    s.count++;
    this.avg.update(s);
    out.collect({ category: w.category, avg: Math.trunc(s.sum / s.count) });
  }
}

/** The q4 pipeline. */
export function q4(events: DataStream<NexmarkEvent>): DataStream<Q4Row> {
  const auctions = auctionsOf(events, 'q4 auctions');
  const bids = bidsOf(events, 'q4 bids');
  return auctions
    .connect(bids)
    .keyBy((a: Auction) => a.id, (b: Bid) => b.auction)
    .process(new WinningBids())
    .name('q4 winning bids')
    .keyBy((w: WinningBid) => w.category)
    .process(new CategoryAverage())
    .name('q4 average per category');
}
