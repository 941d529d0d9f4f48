/**
 * The aggregation shared by q15 (per day) and q16 (per channel and day): counts of bids and
 * distinct bidders and auctions, in total and per price rank (`COUNT(DISTINCT …) FILTER
 * (WHERE …)`), as a changelog (`+I` first, then `-U`/`+U` per bid).
 *
 * Distinct values live in MapState (value → bitmask of the ranks they were seen in): a bid
 * costs one lookup per distinct column and a write only when the mask changes, never a
 * rewrite of the whole set.
 */
import {
  type Change,
  type Collector,
  KeyedProcessFunction,
  type KeyedProcessContext,
  type MapState,
  MapStateDescriptor,
  type ValueState,
  ValueStateDescriptor,
} from 'fluss';
import type { Bid } from 'fluss/nexmark';
import { hourMinuteOf } from './time-format.js';

/** Counts in total and per rank (rank 1: price < 10 000; 2: < 1 000 000; 3: the rest). */
export interface RankCounts {
  total: number;
  rank1: number;
  rank2: number;
  rank3: number;
}

/** The statistics of one group. */
export interface BiddingStatistics {
  /** `max(DATE_FORMAT(dateTime, 'HH:mm'))` (q16 only reports it). */
  minute: string;
  bids: RankCounts;
  bidders: RankCounts;
  auctions: RankCounts;
}

/** The price rank of q15/q16/q17: 0, 1 or 2. */
export function priceRank(price: number): 0 | 1 | 2 {
  return price < 10_000 ? 0 : price < 1_000_000 ? 1 : 2;
}

const zero = (): RankCounts => ({ total: 0, rank1: 0, rank2: 0, rank3: 0 });

function bump(c: RankCounts, rank: number): void {
  if (rank === 0) c.rank1++;
  else if (rank === 1) c.rank2++;
  else c.rank3++;
}

/** Per-group bidding statistics; `toRow` shapes the output row from the key and statistics. */
export class BiddingStatisticsFunction<K, OUT> extends KeyedProcessFunction<K, Bid, Change<OUT>> {
  private stats!: ValueState<BiddingStatistics>;
  private bidders!: MapState<number, number>;
  private auctions!: MapState<number, number>;

  constructor(private readonly toRow: (key: K, s: BiddingStatistics) => OUT) {
    super();
  }

  override open(): void {
    const ctx = this.getRuntimeContext();
    this.stats = ctx.getState(new ValueStateDescriptor<BiddingStatistics>('statistics'));
    this.bidders = ctx.getMapState(new MapStateDescriptor<number, number>('bidders'));
    this.auctions = ctx.getMapState(new MapStateDescriptor<number, number>('auctions'));
  }

  processElement(b: Bid, ctx: KeyedProcessContext<K>, out: Collector<Change<OUT>>): void {
    const key = ctx.getCurrentKey();
    const previous = this.stats.value();
    const s: BiddingStatistics = previous
      ? { minute: previous.minute, bids: { ...previous.bids }, bidders: { ...previous.bidders }, auctions: { ...previous.auctions } }
      : { minute: '', bids: zero(), bidders: zero(), auctions: zero() };
    const rank = priceRank(b.price);
    const minute = hourMinuteOf(b.dateTime);
    if (minute > s.minute) s.minute = minute;
    s.bids.total++;
    bump(s.bids, rank);
    distinct(this.bidders, b.bidder, rank, s.bidders);
    distinct(this.auctions, b.auction, rank, s.auctions);
    this.stats.update(s);
    if (previous) {
      out.collect({ kind: '-U', row: this.toRow(key, previous) });
      out.collect({ kind: '+U', row: this.toRow(key, s) });
    } else {
      out.collect({ kind: '+I', row: this.toRow(key, s) });
    }
  }
}

function distinct(seen: MapState<number, number>, value: number, rank: number, counts: RankCounts): void {
  const mask = seen.get(value) ?? 0;
  const bit = 1 << rank;
  if ((mask & bit) !== 0) return;
  if (mask === 0) counts.total++;
  bump(counts, rank);
  seen.put(value, mask | bit);
}
