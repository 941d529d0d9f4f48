/**
 * `fluss/nexmark`: the Nexmark benchmark's data: the parallel, replayable {@link NexmarkSource},
 * its events (persons, auctions, bids) and the generator's configuration.
 */
import { providePublicModule } from './cluster/job-loader.js';
import * as nexmark from './nexmark.js';

export * from './connectors/nexmark/index.js';

providePublicModule('fluss/nexmark', nexmark);
