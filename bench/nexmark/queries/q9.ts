/**
 * Nexmark q9, winning bids:
 * ```sql
 * SELECT id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra,
 *        auction, bidder, price, bid_dateTime, bid_extra
 * FROM (
 *   SELECT A.*, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime, B.extra AS bid_extra,
 *     ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC) AS rownum
 *   FROM auction A, bid B
 *   WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires)
 * WHERE rownum <= 1
 * ```
 * Keyed by auction id, the join and the top-1 are one step: the auction keeps its best
 * qualifying bid (highest price, then earliest). Flink's plan emits an update whenever the
 * best bid changes; here the winner is emitted once, when the watermark passes `expires` and
 * no bid can still qualify — the same final result as an append-only stream (see q4 for the
 * bids that arrive before their auction).
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

/** An auction with its winning bid. */
export interface Q9Row {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
  auction: number;
  bidder: number;
  price: number;
  bid_dateTime: number;
  bid_extra: string;
}

interface Open {
  auction: Auction;
  best: Bid | undefined;
}

/** True when `b` beats `best` (higher price, then earlier). */
function beats(b: Bid, best: Bid | undefined): boolean {
  return best === undefined || b.price > best.price || (b.price === best.price && b.dateTime < best.dateTime);
}

const qualifies = (b: Bid, a: Auction): boolean => b.dateTime >= a.dateTime && b.dateTime <= a.expires;

/** The winning bid of every auction, emitted when the auction closed in event time. */
export class WinningBid extends KeyedCoProcessFunction<number, Auction, Bid, Q9Row> {
  private open_!: ValueState<Open>;
  private early!: ListState<Bid>;

  override open(): void {
    this.open_ = this.getRuntimeContext().getState(new ValueStateDescriptor<Open>('auction'));
    this.early = this.getRuntimeContext().getListState(new ListStateDescriptor<Bid>('early-bids'));
  }

  processElement1(a: Auction, ctx: KeyedProcessContext<number>): void {
    let best: Bid | undefined;
    for (const b of this.early.get()) if (qualifies(b, a) && beats(b, best)) best = b;
    this.early.clear();
    this.open_.update({ auction: a, best });
    ctx.timerService().registerEventTimeTimer(a.expires);
  }

  processElement2(b: Bid, ctx: KeyedProcessContext<number>): void {
    const o = this.open_.value();
    if (o) {
      if (qualifies(b, o.auction) && beats(b, o.best)) {
        o.best = b;
        this.open_.update(o);
      }
      return;
    }
    this.early.add(b);
    ctx.timerService().registerEventTimeTimer(b.dateTime);
  }

  override onTimer(timestamp: number, _ctx: OnTimerContext<number>, out: Collector<Q9Row>): void {
    const o = this.open_.value();
    if (o && timestamp >= o.auction.expires) {
      const { auction: a, best: b } = o;
      if (b) {
        out.collect({
          id: a.id,
          itemName: a.itemName,
          description: a.description,
          initialBid: a.initialBid,
          reserve: a.reserve,
          dateTime: a.dateTime,
          expires: a.expires,
          seller: a.seller,
          category: a.category,
          extra: a.extra,
          auction: b.auction,
          bidder: b.bidder,
          price: b.price,
          bid_dateTime: b.dateTime,
          bid_extra: b.extra,
        });
      }
      this.open_.clear();
    }
    const early = [...this.early.get()];
    if (early.length > 0) {
      const keep = early.filter((e) => e.dateTime > timestamp);
      if (keep.length === 0) this.early.clear();
      else if (keep.length < early.length) this.early.update(keep);
    }
  }
}

/** The q9 pipeline. */
export function q9(events: DataStream<NexmarkEvent>): DataStream<Q9Row> {
  return auctionsOf(events, 'q9 auctions')
    .connect(bidsOf(events, 'q9 bids'))
    .keyBy((a: Auction) => a.id, (b: Bid) => b.auction)
    .process(new WinningBid())
    .name('q9 winning bids');
}
