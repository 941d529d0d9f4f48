/**
 * Nexmark q20, expand bid with auction (a regular join with a filter):
 * ```sql
 * SELECT auction, bidder, price, channel, url, B.dateTime, B.extra,
 *   itemName, description, initialBid, reserve, A.dateTime, expires, seller, category, A.extra
 * FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id WHERE A.category = 10
 * ```
 * Keyed by auction id: the auction (ids are unique) stays in state as the join's build side
 * and every later bid on it is emitted at once. A bid can only arrive before its auction
 * when the two come from different source subtasks: it waits in state until the watermark
 * passes its time (an auction is never later than its bids in event time), and is dropped
 * then — it belonged to an auction of another category.
 */
import {
  type Collector,
  type DataStream,
  KeyedCoProcessFunction,
  type KeyedProcessContext,
  type ListState,
  ListStateDescriptor,
  type OnTimerContext,
  type ValueState,
  ValueStateDescriptor,
} from 'fluss';
import type { Auction, Bid, NexmarkEvent } from 'fluss/nexmark';
import { auctionsOf, bidsOf } from './streams.js';

/** A bid with its auction. */
export interface Q20Row {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  bid_dateTime: number;
  bid_extra: string;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  auction_dateTime: number;
  expires: number;
  seller: number;
  category: number;
  auction_extra: string;
}

/** The joined row of `b` and `a`. */
export function q20Row(b: Bid, a: Auction): Q20Row {
  return {
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    bid_dateTime: b.dateTime,
    bid_extra: b.extra,
    itemName: a.itemName,
    description: a.description,
    initialBid: a.initialBid,
    reserve: a.reserve,
    auction_dateTime: a.dateTime,
    expires: a.expires,
    seller: a.seller,
    category: a.category,
    auction_extra: a.extra,
  };
}

/** Joins bids with their (category-10) auction. */
export class BidAuctionJoin extends KeyedCoProcessFunction<number, Auction, Bid, Q20Row> {
  private auction!: ValueState<Auction>;
  private early!: ListState<Bid>;

  override open(): void {
    this.auction = this.getRuntimeContext().getState(new ValueStateDescriptor<Auction>('auction'));
    this.early = this.getRuntimeContext().getListState(new ListStateDescriptor<Bid>('bids-before-auction'));
  }

  processElement1(a: Auction, _ctx: KeyedProcessContext<number>, out: Collector<Q20Row>): void {
    this.auction.update(a);
    for (const b of this.early.get()) out.collect(q20Row(b, a));
    this.early.clear();
  }

  processElement2(b: Bid, ctx: KeyedProcessContext<number>, out: Collector<Q20Row>): void {
    const a = this.auction.value();
    if (a) {
      out.collect(q20Row(b, a));
      return;
    }
    this.early.add(b);
    ctx.timerService().registerEventTimeTimer(b.dateTime);
  }

  override onTimer(timestamp: number, _ctx: OnTimerContext<number>): void {
    if (this.auction.value()) return;
    const early = [...this.early.get()];
    const keep = early.filter((b) => b.dateTime > timestamp);
    if (keep.length === 0) this.early.clear();
    else if (keep.length < early.length) this.early.update(keep);
  }
}

/** The q20 pipeline. */
export function q20(events: DataStream<NexmarkEvent>): DataStream<Q20Row> {
  return auctionsOf(events, 'q20 category 10', (a) => a.category === 10)
    .connect(bidsOf(events, 'q20 bids'))
    .keyBy((a: Auction) => a.id, (b: Bid) => b.auction)
    .process(new BidAuctionJoin())
    .name('q20 join');
}
