/**
 * Nexmark q0, pass-through: `SELECT auction, bidder, price, dateTime, extra FROM bid`.
 * Measures the cost of the source, the type test and the sink.
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** Every bid, as it is. */
export function q0(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return bidsOf(events, 'q0 bids');
}
