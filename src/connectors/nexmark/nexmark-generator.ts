/**
 * The Nexmark event generator: event number `n` → one Person, Auction or Bid, chosen by
 * `n mod (person + auction + bid proportions)` (1 : 3 : 46 by default), stamped with
 * `baseTime + n × inter-event delay`. Every event is a pure function of (config, n), so
 * generation parallelises by event number and replays exactly.
 */
import { eventsForAuctions, nextAuction } from './auction-generator.js';
import { nextBid } from './bid-generator.js';
import { nexmarkConfig, timestampForEvent, type NexmarkConfig, type NexmarkOptions } from './nexmark-config.js';
import type { NexmarkEvent } from './nexmark-events.js';
import { EventRandom } from './nexmark-random.js';
import { nextPerson } from './person-generator.js';

/** Generates Nexmark events by number. One instance per thread of generation (it reuses its PRNG). */
export class NexmarkGenerator {
  readonly config: NexmarkConfig;
  private readonly rnd = new EventRandom();
  /** {@link eventsForAuctions} of the config, computed once rather than per auction. */
  private readonly auctionHorizonEvents: number;

  constructor(config: NexmarkConfig | NexmarkOptions = {}) {
    this.config = 'totalProportion' in config ? (config as NexmarkConfig) : nexmarkConfig(config);
    this.auctionHorizonEvents = eventsForAuctions(this.config);
  }

  /** Event time of event `n`. */
  timestamp(n: number): number {
    return timestampForEvent(this.config, n);
  }

  /** Event number `n` (0-based). */
  event(n: number): NexmarkEvent {
    const config = this.config;
    const rnd = this.rnd;
    rnd.reset(config.seed, n);
    const timestamp = timestampForEvent(config, n);
    const rem = n % config.totalProportion;
    if (rem < config.personProportion) return nextPerson(config, n, rnd, timestamp);
    if (rem < config.personProportion + config.auctionProportion) return nextAuction(config, n, rnd, timestamp, this.auctionHorizonEvents);
    return nextBid(config, n, rnd, timestamp);
  }

  /** Events `from` (inclusive) to `to` (exclusive), in order: for tests and reference results. */
  events(from: number, to: number): NexmarkEvent[] {
    const out = new Array<NexmarkEvent>(Math.max(0, to - from));
    for (let n = from; n < to; n++) out[n - from] = this.event(n);
    return out;
  }
}
