/**
 * Nexmark q8, monitor new users: people who entered the system and created an auction in
 * the same 10 s tumbling window.
 * ```sql
 * SELECT P.id, P.name, P.starttime
 * FROM (SELECT id, name, window_start AS starttime, window_end AS endtime
 *       FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
 *       GROUP BY id, name, window_start, window_end) P
 * JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
 *       FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
 *       GROUP BY seller, window_start, window_end) A
 * ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime
 * ```
 * A window co-group keyed by person id / seller: both sides are grouped first, so a window
 * emits each (id, name) once when the seller has at least one auction in it.
 */
import { type Collector, type DataStream, TumblingEventTimeWindows } from 'fluss';
import type { Auction, NexmarkEvent, Person } from 'fluss/nexmark';
import { auctionsOf, personsOf } from './streams.js';

/** Window size of q8. */
export const Q8_WINDOW_MS = 10_000;

/** A new user who sold in the window starting at `starttime`. */
export interface Q8Row {
  id: number;
  name: string;
  starttime: number;
}

interface NewPerson {
  id: number;
  name: string;
  dateTime: number;
}

/** Start of the aligned tumbling window holding `ts`. */
function windowStart(ts: number): number {
  return ts - (((ts % Q8_WINDOW_MS) + Q8_WINDOW_MS) % Q8_WINDOW_MS);
}

/** The q8 pipeline. */
export function q8(events: DataStream<NexmarkEvent>): DataStream<Q8Row> {
  const persons = personsOf(events, 'q8 persons')
    .map((p: Person): NewPerson => ({ id: p.id, name: p.name, dateTime: p.dateTime }))
    .name('q8 new persons');
  const sellers = auctionsOf(events, 'q8 auctions')
    .map((a: Auction) => a.seller)
    .name('q8 sellers');
  return persons
    .coGroup(sellers)
    .where((p: NewPerson) => p.id)
    .equalTo((seller: number) => seller)
    .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS))
    .apply((ps: Iterable<NewPerson>, sellers: Iterable<number>, out: Collector<Q8Row>) => {
      if (sellers[Symbol.iterator]().next().done) return;
      // GROUP BY id, name: each distinct (id, name) once.
      const seen = new Set<string>();
      for (const p of ps) {
        if (seen.has(p.name)) continue;
        seen.add(p.name);
        out.collect({ id: p.id, name: p.name, starttime: windowStart(p.dateTime) });
      }
    })
    .name('q8 new users');
}
