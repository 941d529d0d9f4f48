/**
 * Every Nexmark query runs on the in-process mini-cluster at parallelism 2 over 100 000
 * generated events, and its output must equal the same query computed here, independently,
 * in plain TypeScript over the same events (the generator is deterministic by event number).
 *
 * The event-time rate is lowered to 2 000 events/s so that the run spans 50 s of event time:
 * several tumbling, sliding and session windows, auctions that expire, and bids exactly on
 * window ends (q7's inclusive bound). Uses the built package (`npm run build`), as job files do.
 */
import { type Auction, type Bid, type DataStream, type NexmarkEvent, NexmarkGenerator, type Person, StreamExecutionEnvironment } from 'fluss';
import { describe, expect, it } from 'vitest';
import { nexmarkEvents } from '../../bench/nexmark/job.js';
import { QUERIES } from '../../bench/nexmark/queries/index.js';
import { toEuro } from '../../bench/nexmark/queries/q1.js';

const EVENTS = 100_000;
const RATE = 2_000;
const all = new NexmarkGenerator({ events: EVENTS, firstEventRate: RATE }).events(0, EVENTS);
const bids = all.filter((e): e is Bid => e.type === 'bid');
const auctions = all.filter((e): e is Auction => e.type === 'auction');
const persons = all.filter((e): e is Person => e.type === 'person');

async function runQuery<T>(name: string): Promise<T[]> {
  const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 2 });
  const events: DataStream<NexmarkEvent> = nexmarkEvents(env, EVENTS, RATE);
  return (await QUERIES[name]!(events).executeAndCollect(`nexmark ${name}`)) as T[];
}

/** Rows as a sorted list of JSON strings: a multiset comparison. */
function rows(xs: unknown[]): string[] {
  return xs.map((x) => JSON.stringify(x)).sort();
}

function groupCount<K>(xs: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

const floorTo = (ts: number, size: number) => ts - (((ts % size) + size) % size);

describe('Nexmark queries against independent results', () => {
  it('q0 passes every bid through', async () => {
    expect(rows(await runQuery('q0'))).toEqual(rows(bids));
  });

  it('q1 converts every price to euros', async () => {
    const expected = bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: toEuro(b.price), dateTime: b.dateTime, extra: b.extra }));
    expect(rows(await runQuery('q1'))).toEqual(rows(expected));
  });

  it('q2 selects the bids of every 123rd auction', async () => {
    const expected = bids.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price }));
    expect(expected.length).toBeGreaterThan(0);
    expect(rows(await runQuery('q2'))).toEqual(rows(expected));
  });

  it('q3 joins category-10 auctions with their sellers in OR, ID and CA', async () => {
    const sellers = new Map(persons.filter((p) => ['OR', 'ID', 'CA'].includes(p.state)).map((p) => [p.id, p]));
    const expected = auctions
      .filter((a) => a.category === 10 && sellers.has(a.seller))
      .map((a) => {
        const p = sellers.get(a.seller)!;
        return { name: p.name, city: p.city, state: p.state, id: a.id };
      });
    expect(expected.length).toBeGreaterThan(10);
    expect(rows(await runQuery('q3'))).toEqual(rows(expected));
  });

  it('q4 averages the winning bids per category', async () => {
    const byAuction = new Map<number, Bid[]>();
    for (const b of bids) (byAuction.get(b.auction) ?? byAuction.set(b.auction, []).get(b.auction)!).push(b);
    const finals = new Map<number, number[]>();
    for (const a of auctions) {
      let max = -1;
      for (const b of byAuction.get(a.id) ?? []) if (b.dateTime >= a.dateTime && b.dateTime <= a.expires && b.price > max) max = b.price;
      if (max >= 0) (finals.get(a.category) ?? finals.set(a.category, []).get(a.category)!).push(max);
    }
    const expected = new Map([...finals].map(([c, xs]) => [c, Math.trunc(xs.reduce((s, x) => s + x, 0) / xs.length)]));
    const out = await runQuery<{ category: number; avg: number }>('q4');
    const last = new Map<number, number>();
    for (const r of out) last.set(r.category, r.avg);
    expect(out.length).toBe([...finals.values()].reduce((n, xs) => n + xs.length, 0));
    expect([...last].sort()).toEqual([...expected].sort());
  });

  it('q5 finds the auctions with the most bids per sliding window', async () => {
    const counts = new Map<number, Map<number, number>>();
    for (const b of bids) {
      for (let start = floorTo(b.dateTime, 2000); start > b.dateTime - 10_000; start -= 2000) {
        const w = counts.get(start) ?? counts.set(start, new Map()).get(start)!;
        w.set(b.auction, (w.get(b.auction) ?? 0) + 1);
      }
    }
    const expected: { auction: number; num: number }[] = [];
    for (const w of counts.values()) {
      const max = Math.max(...w.values());
      for (const [auction, num] of w) if (num === max) expected.push({ auction, num });
    }
    expect(counts.size).toBeGreaterThan(20);
    expect(rows(await runQuery('q5'))).toEqual(rows(expected));
  });

  it('q7 emits the highest bids of each tumbling window, bounds included', async () => {
    const maxOf = new Map<number, number>();
    for (const b of bids) {
      const end = floorTo(b.dateTime, 10_000) + 10_000;
      maxOf.set(end, Math.max(maxOf.get(end) ?? -1, b.price));
    }
    const expected = [];
    for (const [end, max] of maxOf) {
      for (const b of bids) {
        if (b.price === max && b.dateTime >= end - 10_000 && b.dateTime <= end) {
          expected.push({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
        }
      }
    }
    expect(maxOf.size).toBeGreaterThanOrEqual(5);
    expect(rows(await runQuery('q7'))).toEqual(rows(expected));
  });

  it('q8 finds new people who sold within the same tumbling window', async () => {
    const sold = new Set(auctions.map((a) => `${a.seller}/${floorTo(a.dateTime, 10_000)}`));
    const expected = persons
      .filter((p) => sold.has(`${p.id}/${floorTo(p.dateTime, 10_000)}`))
      .map((p) => ({ id: p.id, name: p.name, starttime: floorTo(p.dateTime, 10_000) }));
    expect(expected.length).toBeGreaterThan(10);
    expect(rows(await runQuery('q8'))).toEqual(rows(expected));
  });

  it('q11 counts the bids of every bidder session', async () => {
    const byBidder = new Map<number, number[]>();
    for (const b of bids) (byBidder.get(b.bidder) ?? byBidder.set(b.bidder, []).get(b.bidder)!).push(b.dateTime);
    const expected = [];
    for (const [bidder, times] of byBidder) {
      times.sort((x, y) => x - y);
      let start = times[0]!;
      let end = start + 10_000;
      let n = 0;
      for (const t of times) {
        // Flink merges session windows that touch: [t, t + gap) joins a session ending at t.
        if (t > end) {
          expected.push({ bidder, bid_count: n, starttime: start, endtime: end });
          start = t;
          n = 0;
        }
        end = Math.max(end, t + 10_000);
        n++;
      }
      expected.push({ bidder, bid_count: n, starttime: start, endtime: end });
    }
    expect(expected.length).toBeGreaterThan(byBidder.size);
    expect(rows(await runQuery('q11'))).toEqual(rows(expected));
  });

  it('q12 counts every bid of every bidder in processing-time windows', async () => {
    const out = await runQuery<{ bidder: number; bid_count: number }>('q12');
    const totals = new Map<number, number>();
    for (const r of out) totals.set(r.bidder, (totals.get(r.bidder) ?? 0) + r.bid_count);
    expect([...totals].sort((a, b) => a[0] - b[0])).toEqual([...groupCount(bids.map((b) => b.bidder))].sort((a, b) => a[0] - b[0]));
  });
});
