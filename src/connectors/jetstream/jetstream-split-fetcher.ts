/**
 * Fetches one split (a subject filter) of a JetStream stream into its reader's buffer. It
 * reads through an ordered consumer (ephemeral, no acks, in stream order) that starts at the
 * fetcher's own cursor, the sequence after the last message it received, and pulls batches
 * with `fetch`: a batch is only requested while the reader buffers fewer than its bound, so a
 * slow job stops the pulling instead of growing memory (at most the bound plus one batch per
 * split). Any error of the consumer (a server restart, a lost connection, missed heartbeats, a
 * fetch that outlives its expiry) throws the consumer away; after a short backoff a new one
 * starts at the cursor, so nothing is lost and nothing is delivered twice. A stream that no
 * longer exists fails the reader.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { UnavailableError } from '../../core/errors.js';
import { isStreamNotFound } from './jetstream-connection.js';

/** How long one fetch waits for messages before the next one is issued. */
const FETCH_EXPIRES_MS = 5_000;
/** A fetch still running this long after its expiry is given up (a server restart). */
const FETCH_WATCHDOG_MS = FETCH_EXPIRES_MS + 10_000;
/** Backoff between two attempts after a failure: doubled from this, up to the max. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/** Where a split starts. */
export interface FetchStart {
  /** Next stream sequence to read. */
  next?: number;
  /** Start time (ms since epoch) when `next` is unknown. */
  startTime?: number;
  /** Last sequence to read (bounded), inclusive. */
  end?: number;
}

/** What the fetcher hands its messages to (the reader). */
export interface FetchTarget {
  /** A message of split `id`, in stream order. */
  push(id: string, msg: JsMsg): void;
  /** Resolves when the reader has room for another batch (or the fetcher was stopped). */
  whenRoom(): Promise<void>;
  /** A failure the reader must report (the stream is gone). */
  fail(err: unknown): void;
  /** A transient failure (logged by the reader, retried here). */
  retrying(id: string, err: unknown): void;
}

/** Fetches one split until stopped (or, bounded, past its end). */
export class SplitFetcher {
  private stopped = false;
  private current: ConsumerMessages | undefined;
  private wake: (() => void) | undefined;
  /** Resolves when the loop ended. */
  readonly done: Promise<void>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    readonly id: string,
    private start: FetchStart,
    private readonly batch: number,
    private readonly target: FetchTarget,
  ) {
    this.done = this.run();
  }

  /** Stops fetching; messages already pushed stay with the reader. */
  stop(): void {
    this.stopped = true;
    this.current?.stop();
    this.wake?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped && !this.pastEnd()) {
      try {
        const consumer = await this.js.consumers.get(this.stream, this.consumerOptions());
        try {
          while (!this.stopped && !this.pastEnd()) {
            await this.target.whenRoom();
            if (this.stopped) break;
            await this.fetchBatch(consumer);
            failures = 0;
          }
        } finally {
          void consumer.delete().catch(() => undefined);
        }
      } catch (err) {
        if (this.stopped) break;
        if (isStreamNotFound(err)) {
          this.target.fail(err);
          return;
        }
        this.target.retrying(this.id, err);
        await this.sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** failures++));
      }
    }
  }

  /** Options of a new ordered consumer starting at the cursor. */
  private consumerOptions() {
    const base = { filter_subjects: this.id };
    if (this.start.next !== undefined) return { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, this.start.next) };
    if (this.start.startTime !== undefined) return { ...base, deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(this.start.startTime).toISOString() };
    return { ...base, deliver_policy: DeliverPolicy.All };
  }

  /** One fetch: pushes what arrives, advances the cursor; throws when the fetch failed. */
  private async fetchBatch(consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>): Promise<void> {
    const iter = await consumer.fetch({ max_messages: this.batch, expires: FETCH_EXPIRES_MS });
    this.current = iter;
    let stale = false;
    const watchdog = setTimeout(() => {
      stale = true;
      iter.stop();
    }, FETCH_WATCHDOG_MS);
    try {
      for await (const m of iter) {
        const seq = m.seq;
        // A replacement consumer never goes back, but a duplicate must not pass either way.
        if (this.start.next !== undefined && seq < this.start.next) continue;
        if (this.start.end !== undefined && seq > this.start.end) {
          this.start = { next: seq, end: this.start.end };
          break;
        }
        this.start = { next: seq + 1, end: this.start.end };
        this.target.push(this.id, m);
      }
    } finally {
      clearTimeout(watchdog);
      this.current = undefined;
    }
    if (stale && !this.stopped) throw new UnavailableError(`the fetch of ${this.id} outlived its expiry`);
  }

  private pastEnd(): boolean {
    return this.start.end !== undefined && this.start.next !== undefined && this.start.next > this.start.end;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
