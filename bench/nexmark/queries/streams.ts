/** Typed views of the event stream: `filter` keeps the element type, so these narrow it. */
import type { DataStream, SingleOutputStreamOperator } from 'fluss';
import type { Auction, Bid, NexmarkEvent, Person } from 'fluss/nexmark';

/** The bids. */
export function bidsOf(events: DataStream<NexmarkEvent>, name: string): SingleOutputStreamOperator<Bid> {
  return events.filter((e) => e.type === 'bid').name(name) as unknown as SingleOutputStreamOperator<Bid>;
}

/** The auctions passing `where`. */
export function auctionsOf(events: DataStream<NexmarkEvent>, name: string, where?: (a: Auction) => boolean): SingleOutputStreamOperator<Auction> {
  const f = where ? (e: NexmarkEvent) => e.type === 'auction' && where(e) : (e: NexmarkEvent) => e.type === 'auction';
  return events.filter(f).name(name) as unknown as SingleOutputStreamOperator<Auction>;
}

/** The people passing `where`. */
export function personsOf(events: DataStream<NexmarkEvent>, name: string, where?: (p: Person) => boolean): SingleOutputStreamOperator<Person> {
  const f = where ? (e: NexmarkEvent) => e.type === 'person' && where(e) : (e: NexmarkEvent) => e.type === 'person';
  return events.filter(f).name(name) as unknown as SingleOutputStreamOperator<Person>;
}
