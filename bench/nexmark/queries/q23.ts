/**
 * Nexmark q23, a three-way join of bids with their bidder and with the auctions the bidder
 * sells:
 * ```sql
 * SELECT bidder, price, channel, url, B.extra AS bid_extra,
 *   P.id AS person_id, name, emailAddress, creditCard, city, state, P.extra AS person_extra,
 *   itemName, description, initialBid, reserve, A.dateTime AS auction_dateTime, expires, seller, category, A.extra AS auction_extra
 * FROM bid B JOIN person P ON P.id = B.bidder JOIN auction A ON A.seller = B.bidder
 * ```
 * All three join keys are the person id, so one keyed function holds the three sides: the
 * person (ids are unique), the person's auctions and the person's bids. A new row of any side
 * joins with what the other two hold, so every (bid, person, auction) triple is emitted once,
 * when its last member arrives. As Flink's regular joins without a state TTL, the state grows
 * with the input.
 */
import { type Collector, type DataStream, KeyedProcessFunction, type KeyedProcessContext, type ListState, ListStateDescriptor, type ValueState, ValueStateDescriptor } from 'fluss';
import type { Auction, Bid, NexmarkEvent, Person } from 'fluss/nexmark';

/** A bid joined with its bidder and one auction the bidder sells. */
export interface Q23Row {
  bidder: number;
  price: number;
  channel: string;
  url: string;
  bid_extra: string;
  person_id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  person_extra: string;
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

function row(b: Bid, p: Person, a: Auction): Q23Row {
  return {
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    bid_extra: b.extra,
    person_id: p.id,
    name: p.name,
    emailAddress: p.emailAddress,
    creditCard: p.creditCard,
    city: p.city,
    state: p.state,
    person_extra: p.extra,
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

/** The person id an event joins on. */
function personKey(e: NexmarkEvent): number {
  return e.type === 'person' ? e.id : e.type === 'auction' ? e.seller : e.bidder;
}

/** The three-way join on the person id. */
export class PersonJoin extends KeyedProcessFunction<number, NexmarkEvent, Q23Row> {
  private person!: ValueState<Person>;
  private auctions!: ListState<Auction>;
  private bids!: ListState<Bid>;

  override open(): void {
    const ctx = this.getRuntimeContext();
    this.person = ctx.getState(new ValueStateDescriptor<Person>('person'));
    this.auctions = ctx.getListState(new ListStateDescriptor<Auction>('auctions'));
    this.bids = ctx.getListState(new ListStateDescriptor<Bid>('bids'));
  }

  processElement(e: NexmarkEvent, _ctx: KeyedProcessContext<number>, out: Collector<Q23Row>): void {
    if (e.type === 'bid') {
      this.bids.add(e);
      const p = this.person.value();
      if (p) for (const a of this.auctions.get()) out.collect(row(e, p, a));
    } else if (e.type === 'auction') {
      this.auctions.add(e);
      const p = this.person.value();
      if (p) for (const b of this.bids.get()) out.collect(row(b, p, e));
    } else {
      this.person.update(e);
      const auctions = [...this.auctions.get()];
      if (auctions.length > 0) for (const b of this.bids.get()) for (const a of auctions) out.collect(row(b, e, a));
    }
  }
}

/** The q23 pipeline. */
export function q23(events: DataStream<NexmarkEvent>): DataStream<Q23Row> {
  return events.keyBy(personKey).process(new PersonJoin()).name('q23 join');
}
