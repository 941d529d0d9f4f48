/**
 * Nexmark q1, currency conversion:
 * `SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid`.
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** A bid with its price in euros. */
export interface Q1Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** Dollars to euros, at the reference's rate. */
export function toEuro(price: number): number {
  return 0.908 * price;
}

/** Every bid, converted. */
export function q1(events: DataStream<NexmarkEvent>): DataStream<Q1Row> {
  return bidsOf(events, 'q1 bids')
    .map((b: Bid): Q1Row => ({ auction: b.auction, bidder: b.bidder, price: toEuro(b.price), dateTime: b.dateTime, extra: b.extra }))
    .name('q1 currency conversion');
}
