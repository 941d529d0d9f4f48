/**
 * Nexmark q21, add channel id:
 * ```sql
 * SELECT auction, bidder, price, channel,
 *   CASE WHEN lower(channel) = 'apple' THEN '0' WHEN lower(channel) = 'google' THEN '1'
 *        WHEN lower(channel) = 'facebook' THEN '2' WHEN lower(channel) = 'baidu' THEN '3'
 *        ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) END AS channel_id
 * FROM bid
 * WHERE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) IS NOT NULL
 *    OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu')
 * ```
 */
import type { DataStream } from 'fluss';
import type { Bid, NexmarkEvent } from 'fluss/nexmark';
import { bidsOf } from './streams.js';

/** A bid with its channel id. */
export interface Q21Row {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  channel_id: string;
}

const CHANNEL_ID = /(&|^)channel_id=([^&]*)/;
const HOT: Record<string, string> = { apple: '0', google: '1', facebook: '2', baidu: '3' };

/** `REGEXP_EXTRACT(s, pattern, group)`: the group of the first match, null without one. */
export function regexpExtract(s: string, pattern: RegExp, group: number): string | null {
  return pattern.exec(s)?.[group] ?? null;
}

/** The q21 pipeline. */
export function q21(events: DataStream<NexmarkEvent>): DataStream<Q21Row> {
  return bidsOf(events, 'q21 bids')
    .flatMap((b: Bid, out: { collect(r: Q21Row): void }) => {
      const id = HOT[b.channel.toLowerCase()] ?? regexpExtract(b.url, CHANNEL_ID, 2);
      if (id !== null) out.collect({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, channel_id: id });
    })
    .name('q21 channel id');
}
