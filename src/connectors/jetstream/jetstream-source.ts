/**
 * A source reading a NATS JetStream stream (Flink's KafkaSource, for JetStream):
 *
 * ```ts
 * const source = JetStreamSource.builder<Order>()
 *   .setServers('nats://127.0.0.1:4222')
 *   .setStream('ORDERS')
 *   .setSubjects('orders.>')
 *   .setStartingPosition(JetStreamStartingPositions.earliest())
 *   .setDeserializer((r) => r.json<Order>())
 *   .build();
 * env.fromSource(source, WatermarkStrategy.forBoundedOutOfOrderness(5_000), 'orders');
 * ```
 *
 * A split is a subject of the stream (each distinct subject matching the filters, discovered
 * while running), or one of a fixed list of subject filters (`setPartitions`, the partitions of
 * a subject-mapped stream such as `orders.0.>` … `orders.3.>`). Its position is the stream
 * sequence after the last message emitted, kept in operator state (log-split-positions.ts), so
 * a restore or a rescale reads every message exactly once. The record timestamp is the
 * message's server timestamp; a WatermarkStrategy's assigner may decide otherwise, and each
 * split has its own watermark generator (per-split watermarks, idleness).
 */
import type { WatermarkStrategy } from '../../common/watermark-strategy.js';
import type { Source, SourceReader, SourceReaderContext } from '../../common/source.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { LogSplitPositions } from '../log-split-positions.js';
import { checkPoisonPolicy, type PoisonRecordPolicy } from '../poison-records.js';
import { JetStreamClientBuilder } from './jetstream-client-builder.js';
import { STRING_DESERIALIZER, type JetStreamDeserializer } from './jetstream-record.js';
import { JetStreamSourceReader } from './jetstream-source-reader.js';
import { JetStreamStartingPositions, type JetStreamSourceSettings, type JetStreamStartingPosition } from './jetstream-source-settings.js';

/** Default of `setDiscoveryInterval`. */
export const DEFAULT_DISCOVERY_INTERVAL_MS = 10_000;
/** Default of `setMaxBufferedMessages`. */
export const DEFAULT_MAX_BUFFERED_MESSAGES = 8_192;
/** Default of `setFetchBatchSize`. */
export const DEFAULT_FETCH_BATCH_SIZE = 1_024;

/** Reads a JetStream stream; built with {@link JetStreamSource.builder}. */
export class JetStreamSource<T> implements Source<T> {
  readonly boundedness;
  readonly defaultName: string;

  /** @internal use {@link JetStreamSource.builder}. */
  constructor(readonly settings: JetStreamSourceSettings<T>) {
    this.boundedness = settings.bounded ? ('BOUNDED' as const) : ('CONTINUOUS_UNBOUNDED' as const);
    this.defaultName = `JetStreamSource(${settings.stream})`;
  }

  /** A builder; `T` is what the deserializer returns (text by default). */
  static builder<T = string>(): JetStreamSourceBuilder<T> {
    return new JetStreamSourceBuilder<T>();
  }

  /** Every subtask keeps its positions in union list state through this hosted function. */
  createUserFunction(): LogSplitPositions {
    return new LogSplitPositions();
  }

  createReader(ctx: SourceReaderContext): SourceReader<T> {
    return new JetStreamSourceReader<T>(this.settings, ctx, ctx.userFunction as LogSplitPositions | undefined);
  }

  /** Any strategy works: every split is read in stream order. */
  checkWatermarkStrategy(_strategy: WatermarkStrategy<T>): void {}
}

/** Builds a {@link JetStreamSource} (Flink's `KafkaSourceBuilder`). */
export class JetStreamSourceBuilder<T> extends JetStreamClientBuilder {
  private stream: string | undefined;
  private subjects: string[] = ['>'];
  private partitions: string[] | undefined;
  private starting: JetStreamStartingPosition = JetStreamStartingPositions.earliest();
  private bounded = false;
  private deserializer: JetStreamDeserializer<T> = STRING_DESERIALIZER as unknown as JetStreamDeserializer<T>;
  private poisonPolicy: PoisonRecordPolicy | undefined;
  private discoveryIntervalMs = DEFAULT_DISCOVERY_INTERVAL_MS;
  private maxBufferedMessages = DEFAULT_MAX_BUFFERED_MESSAGES;
  private fetchBatchSize = DEFAULT_FETCH_BATCH_SIZE;

  /** The stream to read (required). */
  setStream(stream: string): this {
    this.stream = stream;
    return this;
  }

  /** Subject filters: each distinct subject matching one is a split (default `>`: all). */
  setSubjects(...subjects: (string | readonly string[])[]): this {
    this.subjects = subjects.flat();
    this.partitions = undefined;
    return this;
  }

  /**
   * A fixed list of splits, each a subject filter (the partitions of a subject-mapped stream,
   * `orders.0.>` … `orders.3.>`): no discovery; each filter's messages are read in order.
   */
  setPartitions(...filters: (string | readonly string[])[]): this {
    this.partitions = filters.flat();
    return this;
  }

  /** Where a fresh job starts (default earliest); a restored job continues from its checkpoint. */
  setStartingPosition(position: JetStreamStartingPosition): this {
    this.starting = position;
    return this;
  }

  /**
   * Bounded: each split is read up to its last message at the time the reader starts, then the
   * source ends (tests, backfills). Flink's `setBounded(OffsetsInitializer.latest())`.
   */
  setBounded(): this {
    this.bounded = true;
    return this;
  }

  /** Unbounded (the default). */
  setUnbounded(): this {
    this.bounded = false;
    return this;
  }

  /** How a message becomes a record; a throw makes it a poison record. */
  setDeserializer<U>(deserializer: JetStreamDeserializer<U>): JetStreamSourceBuilder<U> {
    const next = this as unknown as JetStreamSourceBuilder<U>;
    next.deserializer = deserializer;
    return next;
  }

  /** What to do with messages the deserializer rejects (default `pipeline.poison-records.policy`). */
  setPoisonPolicy(policy: PoisonRecordPolicy): this {
    this.poisonPolicy = checkPoisonPolicy(policy);
    return this;
  }

  /** How often new subjects are looked for, in ms (default 10 000; 0: only at start). */
  setDiscoveryInterval(ms: number): this {
    this.discoveryIntervalMs = ms;
    return this;
  }

  /** Messages a reader buffers before it stops pulling (default 8 192; plus one fetch per split in flight). */
  setMaxBufferedMessages(n: number): this {
    this.maxBufferedMessages = n;
    return this;
  }

  /** Messages one fetch of one split asks for (default 1 024). */
  setFetchBatchSize(n: number): this {
    this.fetchBatchSize = n;
    return this;
  }

  /** The source; one line on a missing or bad setting. */
  build(): JetStreamSource<T> {
    const who = 'JetStreamSource';
    const connection = this.connectionOptions(who);
    if (!this.stream || typeof this.stream !== 'string') throw new InvalidArgumentError(`${who}: setStream(...) is required`);
    if (typeof this.deserializer !== 'function') throw new InvalidArgumentError(`${who}: the deserializer must be a function`);
    const filters = this.partitions ?? this.subjects;
    if (filters.length === 0 || filters.some((f) => typeof f !== 'string' || f.trim() === '')) {
      throw new InvalidArgumentError(`${who}(${this.stream}): subject filters must be non-empty strings, got ${JSON.stringify(filters)}`);
    }
    for (const [name, v, min] of [
      ['maxBufferedMessages', this.maxBufferedMessages, 1],
      ['fetchBatchSize', this.fetchBatchSize, 1],
      ['discoveryInterval', this.discoveryIntervalMs, 0],
    ] as const) {
      if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError(`${who}(${this.stream}): ${name} must be an integer >= ${min}, got ${v}`);
    }
    const s = this.starting;
    if (s.kind === 'sequence' && !(Number.isInteger(s.sequence) && s.sequence >= 1)) {
      throw new InvalidArgumentError(`${who}(${this.stream}): a starting sequence must be an integer >= 1, got ${s.sequence}`);
    }
    if (s.kind === 'timestamp' && !Number.isFinite(s.timestamp)) throw new InvalidArgumentError(`${who}(${this.stream}): a starting timestamp must be ms since epoch, got ${s.timestamp}`);
    return new JetStreamSource<T>({
      connection,
      stream: this.stream,
      subjects: [...this.subjects],
      partitions: this.partitions ? [...this.partitions] : undefined,
      starting: s,
      bounded: this.bounded,
      deserializer: this.deserializer,
      poisonPolicy: this.poisonPolicy,
      discoveryIntervalMs: this.discoveryIntervalMs,
      maxBufferedMessages: this.maxBufferedMessages,
      fetchBatchSize: this.fetchBatchSize,
    });
  }
}
