/**
 * Nexmark q13, bounded side input join:
 * ```sql
 * SELECT B.auction, B.bidder, B.price, B.dateTime, S.value
 * FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
 * JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON mod(B.auction, 10000) = S.key
 * ```
 * The side input is the reference's generated file (`SideInputGenerator`: rows `i,i` for i in
 * 0..9999), loaded once per subtask when the lookup opens, as a lookup join on a bounded
 * table caches it.
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** A bid enriched with its side-input value. */
export interface Q13Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  value: string;
}

/** Rows of the reference's side input: key `i`, value `"i"`. */
export const SIDE_INPUT_ROWS = 10_000;

/** Looks every bid up in the side input (a keyed table loaded on open). */
export class SideInputLookup {
  private table: string[] = [];

  open(): void {
    this.table = Array.from({ length: SIDE_INPUT_ROWS }, (_, i) => String(i));
  }

  flatMap(b: Bid, out: { collect(r: Q13Row): void }): void {
    const value = this.table[b.auction % 10_000];
    // An inner join: a key missing from the side input drops the bid.
    if (value !== undefined) out.collect({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, value });
  }
}

/** The q13 pipeline. */
export function q13(events: DataStream<NexmarkEvent>): DataStream<Q13Row> {
  return bidsOf(events, 'q13 bids').flatMap(new SideInputLookup()).name('q13 side input lookup');
}
