/**
 * What the JetStream source hands its deserializer: one stored message of the stream, with
 * its subject, stream sequence, server timestamp and headers.
 */
import type { JsMsg } from '@nats-io/jetstream';

/** A message of a JetStream stream, as the source's deserializer sees it. */
export interface JetStreamRecord {
  /** The message's subject. */
  readonly subject: string;
  /** Its stream sequence (the source's position). */
  readonly sequence: number;
  /** When the server stored it (ms since epoch): the record's event time unless an assigner decides. */
  readonly timestamp: number;
  /** Its payload. */
  readonly data: Uint8Array;
  /** The payload as UTF-8 text. */
  string(): string;
  /** The payload parsed as JSON. */
  json<J = unknown>(): J;
  /** The first value of header `name`, if any. */
  header(name: string): string | undefined;
}

/** Turns a message into a record of the job (throwing makes it a poison record). */
export type JetStreamDeserializer<T> = (record: JetStreamRecord) => T;

/** The server timestamp of `m` in ms since epoch. */
export function timestampOf(m: JsMsg): number {
  return Math.floor(Number(m.info.timestampNanos) / 1e6);
}

/** The record view of `m`. */
export function recordOf(m: JsMsg): JetStreamRecord {
  return {
    subject: m.subject,
    sequence: m.seq,
    timestamp: timestampOf(m),
    data: m.data,
    string: () => m.string(),
    json: <J>() => m.json<J>(),
    header: (name: string) => (m.headers ? m.headers.get(name) || undefined : undefined),
  };
}

/** The default deserializer: the payload as UTF-8 text. */
export const STRING_DESERIALIZER: JetStreamDeserializer<string> = (r) => r.string();
