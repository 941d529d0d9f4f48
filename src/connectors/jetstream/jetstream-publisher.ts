/**
 * Publishes messages to JetStream with a bounded number of unacknowledged publishes: up to
 * `maxPendingAcks` are in flight; the next waits for a slot (an await only when the window is
 * full, never per message). Every message carries a `Nats-Msg-Id`, so a publish whose ack was
 * lost (a server restart, a timeout) is simply sent again with the same id until it is
 * acknowledged: the server's duplicate window drops the second copy if the first was stored.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { describeError, FailedPreconditionError } from '../../core/errors.js';

/** A message to publish. */
export interface OutgoingMessage {
  subject: string;
  data: Uint8Array;
  msgId: string;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
/** Publish errors that retrying cannot fix (the stream does not take the subject, permissions). */
const FATAL = /no stream|not found|permission|maximum payload|exceeded|wrong last/i;

/** One writer's publisher. */
export class JetStreamPublisher {
  private pending = 0;
  private slot: (() => void) | undefined;
  private idle: (() => void) | undefined;
  private failure: Error | undefined;
  private retrying = false;
  private closed = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly who: string,
    private readonly maxPendingAcks: number,
    private readonly timeoutMs: number,
    /** The stream that takes a subject (rejects with StreamNotFoundError when none does). */
    private readonly findStream: (subject: string) => Promise<string>,
    /** The error of a subject no stream takes. */
    private readonly noStream: (subject: string) => Error,
  ) {}

  /** Subjects known to be taken by a stream. */
  private readonly checkedSubjects = new Set<string>();

  /** Unacknowledged publishes. */
  get inFlight(): number {
    return this.pending;
  }

  /** True while a publish may start without waiting. */
  hasSlot(): boolean {
    return this.pending < this.maxPendingAcks;
  }

  /** Throws the first unrecoverable publish failure. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Starts publishing `m` (synchronously; the caller made sure a slot is free, or accepts one more). */
  publish(m: OutgoingMessage, onAcked?: () => void): void {
    this.pending++;
    this.send(m, 0, onAcked);
  }

  /** Publishes `messages` in order, waiting for slots when the window is full. */
  async publishAll(messages: readonly OutgoingMessage[], onAcked?: () => void): Promise<void> {
    for (const m of messages) {
      while (!this.hasSlot() && !this.failure && !this.closed) await this.whenSlot();
      this.check();
      if (this.closed) return;
      this.publish(m, onAcked);
    }
  }

  /** Resolves when a slot is free. */
  whenSlot(): Promise<void> {
    if (this.hasSlot() || this.failure || this.closed) return Promise.resolve();
    return new Promise((resolve) => (this.slot = chain(this.slot, resolve)));
  }

  /** Resolves when every publish was acknowledged; rejects on an unrecoverable failure. */
  async flush(): Promise<void> {
    while (this.pending > 0 && !this.failure && !this.closed) await new Promise<void>((resolve) => (this.idle = chain(this.idle, resolve)));
    this.check();
  }

  /** Calls `listener` once with the first unrecoverable failure. */
  onFailure(listener: (err: Error) => void): void {
    this.failureListener = listener;
  }

  private failureListener: ((err: Error) => void) | undefined;

  close(): void {
    this.closed = true;
    this.wake();
  }

  private send(m: OutgoingMessage, attempt: number, onAcked?: () => void): void {
    this.js.publish(m.subject, m.data, { msgID: m.msgId, timeout: this.timeoutMs }).then(
      () => {
        this.pending--;
        onAcked?.();
        this.wake();
      },
      (err: unknown) => {
        if (this.closed || this.failure) return;
        const text = describeError(err);
        if (FATAL.test(text) && !/timeout|no responders|disconnect|closed/i.test(text)) {
          this.failure ??= new FailedPreconditionError(`${this.who}: publishing to ${m.subject} failed: ${text}`, { cause: err });
          this.pending--;
          this.wake();
          return;
        }
        // Nobody answers a subject no stream takes: that is permanent, and one line.
        if (/no responders|503|not enabled/i.test(text) && !this.checkedSubjects.has(m.subject)) {
          this.findStream(m.subject).then(
            () => this.checkedSubjects.add(m.subject),
            (e: unknown) => {
              if ((e as Error | undefined)?.name !== 'StreamNotFoundError' || this.failure) return;
              this.failure = this.noStream(m.subject);
              this.wake();
            },
          );
        }
        // The server restarts or is slow: send the same message (same id) again.
        if (!this.retrying) {
          this.retrying = true;
          process.emitWarning(`${this.who}: publishing to ${m.subject} failed (${text}); retrying with the same Nats-Msg-Id`, { type: 'FlussWarning', code: 'FLUSS_JETSTREAM_RETRY' });
        }
        setTimeout(() => this.send(m, attempt + 1, onAcked), Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt));
      },
    );
  }

  private wake(): void {
    if (this.failure && this.failureListener) {
      const listener = this.failureListener;
      this.failureListener = undefined;
      listener(this.failure);
    }
    if (this.pending === 0) this.retrying = false;
    if (this.hasSlot() || this.failure || this.closed) {
      const s = this.slot;
      this.slot = undefined;
      s?.();
    }
    if (this.pending === 0 || this.failure || this.closed) {
      const i = this.idle;
      this.idle = undefined;
      i?.();
    }
  }
}

/** Calls `a` then `b`. */
function chain(a: (() => void) | undefined, b: () => void): () => void {
  return a
    ? () => {
        a();
        b();
      }
    : b;
}
