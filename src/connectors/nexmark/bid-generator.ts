/**
 * Bids (reference BidGenerator): mostly on the hot auction and by the hot bidder, a
 * log-uniform price, and a channel with its url: half the bids come through one of four hot
 * channels, the rest through one of 10 000 numbered channels whose url mostly carries the
 * channel id.
 */
import { FIRST_AUCTION_ID, FIRST_PERSON_ID, lastBase0AuctionId, lastBase0PersonId, type NexmarkConfig } from './nexmark-config.js';
import type { Bid } from './nexmark-events.js';
import { nextBase0AuctionId } from './auction-generator.js';
import { EventRandom, nextExtra, nextPrice, nextString } from './nexmark-random.js';
import { nextBase0PersonId } from './person-generator.js';

/** Hot auctions are the first of each batch of this many auctions. */
const HOT_AUCTION_RATIO = 100;
/** Hot bidders are the second of each batch of this many people (so they are not hot sellers). */
const HOT_BIDDER_RATIO = 100;
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

/** `https://www.nexmark.com/<a>/<b>/<c>/item.htm?query=1` with random path parts. */
function baseUrl(rnd: EventRandom): string {
  const part = (): string => nextString(rnd, 5).replace(/ /g, '_');
  return `https://www.nexmark.com/${part()}/${part()}/${part()}/item.htm?query=1`;
}

/** The reference's Integer.reverse: the 32 bits of `n` in reverse order, as a signed int. */
function reverseBits(n: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | (n & 1);
    n >>>= 1;
  }
  return r | 0;
}

/** Fixed urls of the hot channels. */
const HOT_URLS: string[] = HOT_CHANNELS.map((_, i) => {
  const rnd = new EventRandom();
  rnd.reset(0x707, i);
  return baseUrl(rnd);
});

/** Channel names and urls of the numbered channels, built on first use (a fixed function of the number). */
const channelNames: string[] = [];
const channelUrls: string[] = [];

function channelUrl(channel: number): string {
  let url = channelUrls[channel];
  if (url === undefined) {
    const rnd = new EventRandom();
    rnd.reset(0xc4a, channel);
    url = baseUrl(rnd);
    // Nine channels in ten carry their id in the url.
    if (rnd.nextInt(10) > 0) url += `&channel_id=${Math.abs(reverseBits(channel))}`;
    channelUrls[channel] = url;
    channelNames[channel] = `channel-${channel}`;
  }
  return url;
}

/** The bid of event `n` (which must be a bid event). */
export function nextBid(config: NexmarkConfig, n: number, rnd: EventRandom, timestamp: number): Bid {
  // P(hot auction) = 1 - 1/hotAuctionRatio.
  const auction =
    (rnd.nextInt(config.hotAuctionRatio) > 0
      ? Math.floor(lastBase0AuctionId(config, n) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
      : nextBase0AuctionId(config, n, rnd)) + FIRST_AUCTION_ID;
  // P(hot bidder) = 1 - 1/hotBiddersRatio.
  const bidder =
    (rnd.nextInt(config.hotBiddersRatio) > 0
      ? Math.floor(lastBase0PersonId(config, n) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
      : nextBase0PersonId(config, n, rnd)) + FIRST_PERSON_ID;
  const price = nextPrice(rnd);
  let channel: string;
  let url: string;
  if (rnd.nextInt(HOT_CHANNELS_RATIO) > 0) {
    const i = rnd.nextInt(HOT_CHANNELS.length);
    channel = HOT_CHANNELS[i]!;
    url = HOT_URLS[i]!;
  } else {
    const c = rnd.nextInt(CHANNELS_NUMBER);
    url = channelUrl(c);
    channel = channelNames[c]!;
  }
  const extra = nextExtra(rnd, 8 + 8 + 8 + 8, config.avgBidByteSize);
  return { type: 'bid', auction, bidder, price, channel, url, dateTime: timestamp, extra };
}
