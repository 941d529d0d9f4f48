/**
 * Nexmark q2, selection: `SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0`.
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';

/** Auction and price of a selected bid. */
export interface Q2Row {
  auction: number;
  price: number;
}

/** Bids on every 123rd auction. */
export function q2(events: DataStream<NexmarkEvent>): DataStream<Q2Row> {
  return events
    .filter((e) => e.type === 'bid' && e.auction % 123 === 0)
    .map((b): Q2Row => ({ auction: (b as Bid).auction, price: (b as Bid).price }))
    .name('q2 selection');
}
