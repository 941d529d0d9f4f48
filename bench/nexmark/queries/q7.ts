/**
 * Nexmark q7, highest bid:
 * ```sql
 * SELECT B.auction, B.bidder, B.price, B.dateTime, B.extra FROM bid B
 * JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime
 *       FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
 *       GROUP BY window_start, window_end) B1
 * ON B.price = B1.maxprice
 * WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime
 * ```
 * The maximum is over the bids of `[end - 10 s, end)`, while the join takes bids of
 * `[end - 10 s, end]`: a bid exactly on a window end is a candidate of the window it closes
 * too. Stage 1 (keyed by auction, a local pre-aggregation) keeps per window its maximum and
 * the candidate bids that could still equal the global maximum; at the window end (the
 * watermark then guarantees every bid up to `end` arrived) it sends them on. Stage 2, keyed
 * by window end, takes the global maximum and emits the candidates that match it.
 */
import {
  type Collector,
  type DataStream,
  KeyedProcessFunction,
  type KeyedProcessContext,
  type MapState,
  MapStateDescriptor,
  type OnTimerContext,
  type ValueState,
  ValueStateDescriptor,
} from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** Window size of q7. */
export const Q7_WINDOW_MS = 10_000;

/** A highest bid of its window. */
export interface Q7Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** One key's share of a window: its maximum (-1 if it had no bid inside) and its candidates. */
export interface WindowMax {
  end: number;
  max: number;
  candidates: Q7Row[];
}

/** Local maximum and candidates per window and key. */
export class LocalWindowMax extends KeyedProcessFunction<number, Bid, WindowMax> {
  private windows!: MapState<number, WindowMax>;

  override open(): void {
    this.windows = this.getRuntimeContext().getMapState(new MapStateDescriptor<number, WindowMax>('windows'));
  }

  processElement(b: Bid, ctx: KeyedProcessContext<number>): void {
    const ts = b.dateTime;
    const start = ts - (((ts % Q7_WINDOW_MS) + Q7_WINDOW_MS) % Q7_WINDOW_MS);
    this.add(start + Q7_WINDOW_MS, b, true, ctx);
    // On a window end: also a candidate (not part of the maximum) of the window it closes.
    if (start === ts) this.add(ts, b, false, ctx);
  }

  private add(end: number, b: Bid, counts: boolean, ctx: KeyedProcessContext<number>): void {
    let w = this.windows.get(end);
    if (!w) {
      w = { end, max: -1, candidates: [] };
      ctx.timerService().registerEventTimeTimer(end);
    }
    if (counts && b.price > w.max) {
      w.max = b.price;
      const max = w.max;
      w.candidates = w.candidates.filter((c) => c.price >= max);
    }
    if (b.price >= w.max) w.candidates.push({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
    this.windows.put(end, w);
  }

  override onTimer(end: number, _ctx: OnTimerContext<number>, out: Collector<WindowMax>): void {
    const w = this.windows.get(end);
    if (!w) return;
    out.collect(w);
    this.windows.remove(end);
  }
}

/** Global maximum per window; emits the bids that equal it. */
export class HighestBidOfWindow extends KeyedProcessFunction<number, WindowMax, Q7Row> {
  private merged!: ValueState<WindowMax>;

  override open(): void {
    this.merged = this.getRuntimeContext().getState(new ValueStateDescriptor<WindowMax>('merged'));
  }

  processElement(part: WindowMax, ctx: KeyedProcessContext<number>): void {
    const m = this.merged.value();
    if (!m) {
      this.merged.update({ end: part.end, max: part.max, candidates: part.candidates.slice() });
      ctx.timerService().registerEventTimeTimer(part.end);
      return;
    }
    if (part.max > m.max) m.max = part.max;
    for (const c of part.candidates) if (c.price >= m.max) m.candidates.push(c);
    this.merged.update(m);
  }

  override onTimer(_ts: number, _ctx: OnTimerContext<number>, out: Collector<Q7Row>): void {
    const m = this.merged.value();
    if (!m) return;
    // A window without bids of its own has no maximum: its boundary candidates join nothing.
    if (m.max >= 0) for (const c of m.candidates) if (c.price === m.max) out.collect(c);
    this.merged.clear();
  }
}

/** The q7 pipeline. */
export function q7(events: DataStream<NexmarkEvent>): DataStream<Q7Row> {
  return bidsOf(events, 'q7 bids')
    .keyBy((b: Bid) => b.auction)
    .process(new LocalWindowMax())
    .name('q7 local max')
    .keyBy((w: WindowMax) => w.end)
    .process(new HighestBidOfWindow())
    .name('q7 highest bid');
}
