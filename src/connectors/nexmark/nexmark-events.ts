/**
 * The Nexmark event model: people, auctions and bids, as three flat plain objects told apart
 * by a `type` field.
 *
 * Flat shapes were chosen over a wrapper `{ type, person?, auction?, bid? }` because they
 * cost one allocation per event instead of two, give V8 three stable hidden classes (so
 * `e.type === 'bid'` and field loads stay monomorphic per shape), and give msgpackr three
 * fixed record structures on the wire. Times are epoch milliseconds.
 */

/** A person joining the auction site. */
export interface Person {
  readonly type: 'person';
  readonly id: number;
  readonly name: string;
  readonly emailAddress: string;
  readonly creditCard: string;
  readonly city: string;
  readonly state: string;
  readonly dateTime: number;
  readonly extra: string;
}

/** An item put up for auction by a seller. */
export interface Auction {
  readonly type: 'auction';
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  readonly initialBid: number;
  readonly reserve: number;
  readonly dateTime: number;
  readonly expires: number;
  readonly seller: number;
  readonly category: number;
  readonly extra: string;
}

/** A bid on an auction. */
export interface Bid {
  readonly type: 'bid';
  readonly auction: number;
  readonly bidder: number;
  readonly price: number;
  readonly channel: string;
  readonly url: string;
  readonly dateTime: number;
  readonly extra: string;
}

/** Any Nexmark event. */
export type NexmarkEvent = Person | Auction | Bid;

/** True for bids (a type guard for `filter`). */
export function isBid(e: NexmarkEvent): e is Bid {
  return e.type === 'bid';
}

/** True for auctions. */
export function isAuction(e: NexmarkEvent): e is Auction {
  return e.type === 'auction';
}

/** True for people. */
export function isPerson(e: NexmarkEvent): e is Person {
  return e.type === 'person';
}
