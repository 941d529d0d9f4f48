/**
 * Parameters of the Nexmark generator, with the reference benchmark's defaults
 * (NexmarkConfiguration / GeneratorConfig of the Nexmark suite).
 */

/** Options of a {@link NexmarkSource} / {@link NexmarkGenerator}; every field is optional. */
import { InvalidArgumentError } from '../../core/errors.js';

export interface NexmarkOptions {
  /** Events to generate in total (across subtasks). Default 100 000 000. */
  events?: number;
  /** Event-time rate: events per second of event time (reference `first-event.rate`). Default 10 000 000. */
  firstEventRate?: number;
  /** Event time of event 0, epoch ms. Default 1 700 000 000 000 (fixed, so runs are repeatable). */
  baseTime?: number;
  /** Seed of the per-event random streams. Default 0. */
  seed?: number;
  /** Proportions of people, auctions and bids (by event number). Default 1, 3, 46. */
  personProportion?: number;
  auctionProportion?: number;
  bidProportion?: number;
  /** 1 / ratio of bids go to a random auction, the rest to the hot one. Default 2. */
  hotAuctionRatio?: number;
  /** 1 / ratio of bids come from a random bidder, the rest from the hot one. Default 4. */
  hotBiddersRatio?: number;
  /** 1 / ratio of auctions have a random seller, the rest the hot one. Default 4. */
  hotSellersRatio?: number;
  /** People a random person id is drawn from. Default 1000. */
  numActivePeople?: number;
  /** Auctions a random auction id is drawn from. Default 100. */
  numInFlightAuctions?: number;
  /** Average serialised sizes the `extra` field pads to. Defaults 200 / 500 / 100 bytes. */
  avgPersonByteSize?: number;
  avgAuctionByteSize?: number;
  avgBidByteSize?: number;
  /**
   * Events per second emitted across all subtasks (wall clock), or undefined for as fast as
   * possible (the default: the benchmark measures throughput).
   */
  ratePerSecond?: number;
}

/** A complete, validated generator configuration. */
export interface NexmarkConfig {
  readonly events: number;
  readonly firstEventRate: number;
  readonly baseTime: number;
  readonly seed: number;
  readonly personProportion: number;
  readonly auctionProportion: number;
  readonly bidProportion: number;
  readonly totalProportion: number;
  readonly hotAuctionRatio: number;
  readonly hotBiddersRatio: number;
  readonly hotSellersRatio: number;
  readonly numActivePeople: number;
  readonly numInFlightAuctions: number;
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
  /** Microseconds of event time between two consecutive events. */
  readonly interEventDelayUs: number;
  readonly ratePerSecond: number | undefined;
}

/** First person id (ids are dense from here). */
export const FIRST_PERSON_ID = 1000;
/** First auction id. */
export const FIRST_AUCTION_ID = 1000;
/** First category id. */
export const FIRST_CATEGORY_ID = 10;

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new InvalidArgumentError(`Nexmark ${name} must be a positive integer, got ${v}`);
  return v;
}

/** Fills defaults and validates. */
export function nexmarkConfig(options: NexmarkOptions = {}): NexmarkConfig {
  const events = options.events ?? 100_000_000;
  if (!(Number.isSafeInteger(events) && events >= 0)) throw new InvalidArgumentError(`Nexmark events must be a non-negative integer, got ${events}`);
  const firstEventRate = options.firstEventRate ?? 10_000_000;
  if (!(firstEventRate > 0)) throw new InvalidArgumentError(`Nexmark firstEventRate must be > 0, got ${firstEventRate}`);
  const rate = options.ratePerSecond;
  if (rate !== undefined && !(rate > 0)) throw new InvalidArgumentError(`Nexmark ratePerSecond must be > 0, got ${rate}`);
  const personProportion = positiveInt('personProportion', options.personProportion ?? 1);
  const auctionProportion = positiveInt('auctionProportion', options.auctionProportion ?? 3);
  const bidProportion = positiveInt('bidProportion', options.bidProportion ?? 46);
  return {
    events,
    firstEventRate,
    baseTime: options.baseTime ?? 1_700_000_000_000,
    seed: (options.seed ?? 0) | 0,
    personProportion,
    auctionProportion,
    bidProportion,
    totalProportion: personProportion + auctionProportion + bidProportion,
    hotAuctionRatio: positiveInt('hotAuctionRatio', options.hotAuctionRatio ?? 2),
    hotBiddersRatio: positiveInt('hotBiddersRatio', options.hotBiddersRatio ?? 4),
    hotSellersRatio: positiveInt('hotSellersRatio', options.hotSellersRatio ?? 4),
    numActivePeople: positiveInt('numActivePeople', options.numActivePeople ?? 1000),
    numInFlightAuctions: positiveInt('numInFlightAuctions', options.numInFlightAuctions ?? 100),
    avgPersonByteSize: positiveInt('avgPersonByteSize', options.avgPersonByteSize ?? 200),
    avgAuctionByteSize: positiveInt('avgAuctionByteSize', options.avgAuctionByteSize ?? 500),
    avgBidByteSize: positiveInt('avgBidByteSize', options.avgBidByteSize ?? 100),
    interEventDelayUs: 1_000_000 / firstEventRate,
    ratePerSecond: rate,
  };
}

/** Event time of event number `n`: event times advance by the inter-event delay. */
export function timestampForEvent(config: NexmarkConfig, n: number): number {
  return config.baseTime + Math.floor((n * config.interEventDelayUs) / 1000);
}

/** The last person id (base 0) that exists at event `n`; the current one if `n` is a person. */
export function lastBase0PersonId(config: NexmarkConfig, n: number): number {
  const epoch = Math.floor(n / config.totalProportion);
  let offset = n % config.totalProportion;
  if (offset >= config.personProportion) offset = config.personProportion - 1;
  return epoch * config.personProportion + offset;
}

/** The last auction id (base 0) that exists at event `n`; the current one if `n` is an auction. */
export function lastBase0AuctionId(config: NexmarkConfig, n: number): number {
  let epoch = Math.floor(n / config.totalProportion);
  let offset = n % config.totalProportion;
  if (offset < config.personProportion) {
    // A person: the last auction of the previous epoch.
    epoch--;
    offset = config.auctionProportion - 1;
  } else if (offset >= config.personProportion + config.auctionProportion) {
    // A bid: the last auction of this epoch.
    offset = config.auctionProportion - 1;
  } else {
    offset -= config.personProportion;
  }
  return epoch * config.auctionProportion + offset;
}
