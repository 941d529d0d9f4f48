/**
 * Auctions (reference AuctionGenerator): dense ids from {@link FIRST_AUCTION_ID}, mostly hot
 * sellers, five categories, and a length chosen so that about `numInFlightAuctions` auctions
 * are open at any event time.
 */
import { FIRST_AUCTION_ID, FIRST_CATEGORY_ID, FIRST_PERSON_ID, lastBase0AuctionId, lastBase0PersonId, timestampForEvent, type NexmarkConfig } from './nexmark-config.js';
import type { Auction } from './nexmark-events.js';
import { type EventRandom, nextExtra, nextPrice, nextString } from './nexmark-random.js';
import { nextBase0PersonId } from './person-generator.js';

const NUM_CATEGORIES = 5;
/** Auction ids a bid may be ahead of the last generated auction. */
const AUCTION_ID_LEAD = 10;
/** Hot sellers are the first of each batch of this many people. */
const HOT_SELLER_RATIO = 100;

/**
 * Events generated while `numInFlightAuctions` more auctions are created: the horizon
 * {@link nextAuction} draws auction lengths from. Depends only on the config, so a generator
 * computes it once.
 */
export function eventsForAuctions(config: NexmarkConfig): number {
  return Math.floor((config.numInFlightAuctions * config.totalProportion) / config.auctionProportion);
}

/**
 * The auction of event `n` (which must be an auction event); `horizonEvents` is
 * {@link eventsForAuctions} of `config`.
 */
export function nextAuction(config: NexmarkConfig, n: number, rnd: EventRandom, timestamp: number, horizonEvents: number): Auction {
  const id = lastBase0AuctionId(config, n) + FIRST_AUCTION_ID;
  // P(hot seller) = 1 - 1/hotSellersRatio.
  const seller =
    (rnd.nextInt(config.hotSellersRatio) > 0
      ? Math.floor(lastBase0PersonId(config, n) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
      : nextBase0PersonId(config, n, rnd)) + FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + rnd.nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice(rnd);
  const expires = timestamp + nextAuctionLengthMs(config, n, rnd, timestamp, horizonEvents);
  const itemName = nextString(rnd, 20);
  const description = nextString(rnd, 100);
  const reserve = initialBid + nextPrice(rnd);
  const currentSize = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
  const extra = nextExtra(rnd, currentSize, config.avgAuctionByteSize);
  return { type: 'auction', id, itemName, description, initialBid, reserve, dateTime: timestamp, expires, seller, category, extra };
}

/** A random auction id (base 0) among those likely still open, plus a few not yet generated. */
export function nextBase0AuctionId(config: NexmarkConfig, n: number, rnd: EventRandom): number {
  const maxAuction = lastBase0AuctionId(config, n);
  const minAuction = Math.max(maxAuction - config.numInFlightAuctions, 0);
  return minAuction + rnd.nextInt(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

/** Auction length averaging the event time until `numInFlightAuctions` more auctions exist. */
function nextAuctionLengthMs(config: NexmarkConfig, n: number, rnd: EventRandom, timestamp: number, horizonEvents: number): number {
  const horizonMs = timestampForEvent(config, n + horizonEvents) - timestamp;
  return 1 + rnd.nextInt(Math.max(horizonMs * 2, 1));
}
