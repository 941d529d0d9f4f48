/**
 * The Nexmark benchmark's data: generator configuration, event model, generators and the
 * parallel, replayable {@link NexmarkSource}.
 */
export * from './nexmark-events.js';
export {
  nexmarkConfig,
  timestampForEvent,
  lastBase0AuctionId,
  lastBase0PersonId,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  type NexmarkConfig,
  type NexmarkOptions,
} from './nexmark-config.js';
export { NexmarkGenerator } from './nexmark-generator.js';
export { NexmarkSource, NexmarkSourceReader, type NexmarkSplit } from './nexmark-source.js';
