/**
 * The settings a {@link JetStreamSource} is built with, and where its splits start when no
 * checkpoint says otherwise (Flink's `OffsetsInitializer`).
 */
import type { PoisonRecordPolicy } from '../poison-records.js';
import type { JetStreamConnectionOptions } from './jetstream-connection.js';
import type { JetStreamDeserializer } from './jetstream-record.js';

/** Where the splits of a fresh (not restored) job start. */
export type JetStreamStartingPosition =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'sequence'; readonly sequence: number }
  | { readonly kind: 'timestamp'; readonly timestamp: number };

/** Factories of {@link JetStreamStartingPosition} (Flink's `OffsetsInitializer`). */
export const JetStreamStartingPositions = {
  /** Every split from its first message (the default). */
  earliest: (): JetStreamStartingPosition => ({ kind: 'earliest' }),
  /** Only messages stored after the job started. */
  latest: (): JetStreamStartingPosition => ({ kind: 'latest' }),
  /** From stream sequence `sequence` on (each split from its first message at or after it). */
  sequence: (sequence: number): JetStreamStartingPosition => ({ kind: 'sequence', sequence }),
  /** From the first message stored at or after `timestamp` (ms since epoch). */
  timestamp: (timestamp: number): JetStreamStartingPosition => ({ kind: 'timestamp', timestamp }),
};

/** Everything a reader needs (plain data plus the deserializer). */
export interface JetStreamSourceSettings<T> {
  readonly connection: JetStreamConnectionOptions;
  readonly stream: string;
  /** Subject filters whose distinct subjects are the splits (discovered while running). */
  readonly subjects: readonly string[];
  /** A fixed list of splits (subject filters, e.g. the partitions of a subject-mapped stream). */
  readonly partitions: readonly string[] | undefined;
  readonly starting: JetStreamStartingPosition;
  /** Read each split only up to its last message when the reader started. */
  readonly bounded: boolean;
  readonly deserializer: JetStreamDeserializer<T>;
  readonly poisonPolicy: PoisonRecordPolicy | undefined;
  /** How often new subjects are looked for (ms); 0: only at start. */
  readonly discoveryIntervalMs: number;
  /** Messages a reader buffers before it stops pulling. */
  readonly maxBufferedMessages: number;
  /** Messages asked for by one fetch of one split. */
  readonly fetchBatchSize: number;
}
