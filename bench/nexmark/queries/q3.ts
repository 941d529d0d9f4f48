/**
 * Nexmark q3, local item suggestion:
 * ```sql
 * SELECT P.name, P.city, P.state, A.id
 * FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
 * WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')
 * ```
 * An incremental (unwindowed) join on keyed state: both sides are filtered first, then keyed
 * by person id. A person id occurs once, so the person side keeps the person and the auction
 * side keeps only auctions that came before their seller (auction ids may run ahead).
 */
import {
  type Collector,
  type DataStream,
  KeyedCoProcessFunction,
  type KeyedProcessContext,
  type ListState,
  ListStateDescriptor,
  type ValueState,
  ValueStateDescriptor,
} from 'fluss';
import type { Auction, NexmarkEvent, Person } from 'fluss/nexmark';
import { auctionsOf, personsOf } from './streams.js';

/** A suggested item with its seller's location. */
export interface Q3Row {
  name: string;
  city: string;
  state: string;
  id: number;
}

interface SellerInfo {
  name: string;
  city: string;
  state: string;
}

/** Joins category-10 auctions with sellers from OR, ID or CA. */
export class LocalItemJoin extends KeyedCoProcessFunction<number, Auction, Person, Q3Row> {
  private seller!: ValueState<SellerInfo>;
  private waiting!: ListState<number>;

  override open(): void {
    this.seller = this.getRuntimeContext().getState(new ValueStateDescriptor<SellerInfo>('seller'));
    this.waiting = this.getRuntimeContext().getListState(new ListStateDescriptor<number>('auctions-before-seller'));
  }

  processElement1(a: Auction, _ctx: KeyedProcessContext<number>, out: Collector<Q3Row>): void {
    const p = this.seller.value();
    if (p) out.collect({ name: p.name, city: p.city, state: p.state, id: a.id });
    else this.waiting.add(a.id);
  }

  processElement2(p: Person, _ctx: KeyedProcessContext<number>, out: Collector<Q3Row>): void {
    this.seller.update({ name: p.name, city: p.city, state: p.state });
    for (const id of this.waiting.get()) out.collect({ name: p.name, city: p.city, state: p.state, id });
    this.waiting.clear();
  }
}

/** The q3 pipeline. */
export function q3(events: DataStream<NexmarkEvent>): DataStream<Q3Row> {
  const auctions = auctionsOf(events, 'q3 category 10', (a) => a.category === 10);
  const persons = personsOf(events, 'q3 OR/ID/CA', (p) => p.state === 'OR' || p.state === 'ID' || p.state === 'CA');
  return auctions
    .connect(persons)
    .keyBy((a: Auction) => a.seller, (p: Person) => p.id)
    .process(new LocalItemJoin())
    .name('q3 join');
}
