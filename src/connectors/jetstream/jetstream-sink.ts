/**
 * A sink publishing to NATS JetStream (Flink's KafkaSink, for JetStream):
 *
 * ```ts
 * stream.sinkTo(
 *   JetStreamSink.builder<Count>()
 *     .setServers('nats://127.0.0.1:4222')
 *     .setStream('COUNTS')
 *     .setSubject((c) => `counts.${c.key}`)
 *     .setSerializer((c) => JSON.stringify(c))
 *     .setDeliveryGuarantee('EXACTLY_ONCE')
 *     .build(),
 * );
 * ```
 *
 * Every message carries a `Nats-Msg-Id` derived from (job, checkpoint, subtask, sequence), so
 * the server drops replays after a failover: exactly once within the stream's duplicate window,
 * at least once beyond it. See jetstream-sink-writer.ts for the two delivery guarantees.
 */
import type { Sink, SinkWriter, SinkWriterContext } from '../../common/sink.js';
import { renderRecord } from '../../common/sink.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { JetStreamClientBuilder } from './jetstream-client-builder.js';
import { JetStreamSinkWriter, type JetStreamDeliveryGuarantee, type JetStreamSinkSettings } from './jetstream-sink-writer.js';

/** Default of `setMaxPendingAcks`. */
export const DEFAULT_MAX_PENDING_ACKS = 1_024;
/** Default of `setMaxBufferedRecords`. */
export const DEFAULT_MAX_BUFFERED_RECORDS = 1_000_000;

const encoder = new TextEncoder();

/** Publishes records to JetStream; built with {@link JetStreamSink.builder}. */
export class JetStreamSink<T> implements Sink<T> {
  /** @internal use {@link JetStreamSink.builder}. */
  constructor(readonly settings: JetStreamSinkSettings<T>) {}

  /** A builder. */
  static builder<T = unknown>(): JetStreamSinkBuilder<T> {
    return new JetStreamSinkBuilder<T>();
  }

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    return new JetStreamSinkWriter<T>(this.settings, ctx);
  }
}

/** Builds a {@link JetStreamSink} (Flink's `KafkaSinkBuilder`). */
export class JetStreamSinkBuilder<T> extends JetStreamClientBuilder {
  private stream: string | undefined;
  private subjectOf: ((value: T) => string) | undefined;
  private serializer: (value: T) => string | Uint8Array = (v) => renderRecord(v);
  private guarantee: JetStreamDeliveryGuarantee = 'EXACTLY_ONCE';
  private maxPendingAcks = DEFAULT_MAX_PENDING_ACKS;
  private maxBufferedRecords = DEFAULT_MAX_BUFFERED_RECORDS;
  private publishTimeoutMs = 5_000;

  /** The stream the subjects belong to: checked to exist when the writer starts (optional). */
  setStream(stream: string): this {
    this.stream = stream;
    return this;
  }

  /** The subject of every message, or a function of the record (required). */
  setSubject(subject: string | ((value: T) => string)): this {
    this.subjectOf = typeof subject === 'string' ? () => subject : subject;
    return this;
  }

  /** The payload of a record (default: strings as they are, anything else as JSON). */
  setSerializer(serializer: (value: T) => string | Uint8Array): this {
    this.serializer = serializer;
    return this;
  }

  /** `EXACTLY_ONCE` (default: published after each checkpoint) or `AT_LEAST_ONCE` (published at once, flushed at the barrier). */
  setDeliveryGuarantee(guarantee: JetStreamDeliveryGuarantee): this {
    this.guarantee = guarantee;
    return this;
  }

  /** Unacknowledged publishes at most (default 1 024); the task is backpressured beyond. */
  setMaxPendingAcks(n: number): this {
    this.maxPendingAcks = n;
    return this;
  }

  /** EXACTLY_ONCE: records a subtask may hold between two checkpoints (default 1 000 000). */
  setMaxBufferedRecords(n: number): this {
    this.maxBufferedRecords = n;
    return this;
  }

  /** How long one publish waits for its ack before it is sent again (default 5 000 ms). */
  setPublishTimeout(ms: number): this {
    this.publishTimeoutMs = ms;
    return this;
  }

  /** The sink; one line on a missing or bad setting. */
  build(): JetStreamSink<T> {
    const who = 'JetStreamSink';
    const connection = this.connectionOptions(who);
    const subjectOf = this.subjectOf;
    if (!subjectOf) throw new InvalidArgumentError(`${who}: setSubject(...) is required`);
    if (typeof this.serializer !== 'function') throw new InvalidArgumentError(`${who}: the serializer must be a function`);
    if (this.guarantee !== 'EXACTLY_ONCE' && this.guarantee !== 'AT_LEAST_ONCE') {
      throw new InvalidArgumentError(`${who}: the delivery guarantee must be 'EXACTLY_ONCE' or 'AT_LEAST_ONCE', got ${JSON.stringify(this.guarantee)}`);
    }
    for (const [name, v] of [
      ['maxPendingAcks', this.maxPendingAcks],
      ['maxBufferedRecords', this.maxBufferedRecords],
      ['publishTimeout', this.publishTimeoutMs],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${who}: ${name} must be a positive integer, got ${v}`);
    }
    const serializer = this.serializer;
    return new JetStreamSink<T>({
      connection,
      stream: this.stream,
      subjectOf,
      serialize: (value) => {
        const out = serializer(value);
        return typeof out === 'string' ? encoder.encode(out) : out;
      },
      guarantee: this.guarantee,
      maxPendingAcks: this.maxPendingAcks,
      maxBufferedRecords: this.maxBufferedRecords,
      publishTimeoutMs: this.publishTimeoutMs,
    });
  }
}
