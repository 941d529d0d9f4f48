/**
 * The reader of one {@link JetStreamSource} subtask. It owns the splits `ownerOfSplit` gives
 * it (see log-split-positions.ts), runs one {@link SplitFetcher} per split, and hands out the
 * buffered messages from `pollNext` without ever blocking: each split has its own output
 * (per-split watermarks and idleness), messages are decoded there (a message the deserializer
 * rejects is a poison record), and a split's position (the sequence after the last message
 * emitted) is what a checkpoint saves. Unbounded readers look for new subjects every
 * `discoveryIntervalMs`; a reader without splits is idle, so it does not hold the job's
 * watermark back.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { InputStatus, ReaderOutput, SourceReader, SourceReaderContext } from '../../common/source.js';
import { describeError } from '../../core/errors.js';
import { type LogSplitPosition, LogSplitPositions, ownerOfSplit } from '../log-split-positions.js';
import { PoisonRecordHandler, previewRecord } from '../poison-records.js';
import { connectJetStream, isStreamNotFound, streamNotFound } from './jetstream-connection.js';
import { recordOf, timestampOf } from './jetstream-record.js';
import type { JetStreamSourceSettings } from './jetstream-source-settings.js';
import { SplitFetcher, type FetchTarget } from './jetstream-split-fetcher.js';

/** One split this reader owns. */
interface OwnedSplit {
  readonly id: string;
  position: LogSplitPosition;
  /** Fetched messages not emitted yet, from `head` on. */
  queue: JsMsg[];
  head: number;
  fetcher: SplitFetcher | undefined;
  output: ReaderOutput<unknown> | undefined;
  finished: boolean;
  /** Messages of the split the server had not delivered yet, as the last emitted message said (`info.pending`). */
  undelivered: number | undefined;
}

/** Reads the splits of one subtask. */
export class JetStreamSourceReader<T> implements SourceReader<T>, FetchTarget {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private readonly splits = new Map<string, OwnedSplit>();
  private order: OwnedSplit[] = [];
  private rotate = 0;
  private buffered = 0;
  private error: unknown;
  private closed = false;
  private idle = false;
  private discovery: ReturnType<typeof setInterval> | undefined;
  private discovering = false;
  /** Resolved when a message, a split or an error arrives. */
  private available: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Fetchers waiting for room in the buffer. */
  private roomWaiters: (() => void)[] = [];
  private readonly poison: PoisonRecordHandler;
  private readonly store: LogSplitPositions;
  private readonly who: string;

  constructor(
    private readonly settings: JetStreamSourceSettings<T>,
    private readonly ctx: SourceReaderContext,
    positions: LogSplitPositions | undefined,
  ) {
    this.poison = new PoisonRecordHandler(ctx.sourceName, settings.poisonPolicy);
    this.store = positions ?? new LogSplitPositions();
    this.store.attach(this);
    this.who = `JetStreamSource(${settings.stream})`;
  }

  /** Positions come from the hosted {@link LogSplitPositions} (union state), not from here. */
  restoreState(): void {}

  /** Nothing in split list state: the hosted function keeps every split's position. */
  snapshotState(): undefined {
    return undefined;
  }

  /** The positions of this subtask's splits (finished ones included, so they are not read again). */
  positions(): LogSplitPosition[] {
    return this.order.map((s) => ({ ...s.position }));
  }

  async start(): Promise<void> {
    const s = this.settings;
    const nc = (this.nc = await connectJetStream(this.who, s.connection));
    this.js = jetstream(nc);
    const jsm = (this.jsm = await jetstreamManager(nc));
    let lastSeq: number;
    try {
      lastSeq = (await jsm.streams.info(s.stream)).state.last_seq;
    } catch (err) {
      if (isStreamNotFound(err)) throw streamNotFound(this.who, s.stream, s.connection.servers, err);
      throw err;
    }
    for (const p of this.store.restoredSplitsOf(this.ctx.subtaskIndex, this.ctx.parallelism)) this.addSplit(p);
    const ids = s.partitions ? [...s.partitions] : await this.listSubjects();
    for (const id of ids) {
      if (this.splits.has(id) || ownerOfSplit(id, this.ctx.parallelism) !== this.ctx.subtaskIndex) continue;
      // A split the restored checkpoint does not know held nothing read before it: from its start.
      const position: LogSplitPosition = this.store.restored ? { split: id, next: 1 } : this.initialPosition(id, lastSeq);
      if (s.bounded) position.end = await this.lastSequenceOf(id, lastSeq);
      this.addSplit(position);
    }
    if (!s.bounded && !s.partitions && s.discoveryIntervalMs > 0) {
      this.discovery = setInterval(() => void this.discover(), s.discoveryIntervalMs);
      this.discovery.unref();
    }
  }

  private initialPosition(id: string, lastSeq: number): LogSplitPosition {
    const start = this.settings.starting;
    switch (start.kind) {
      case 'earliest':
        return { split: id, next: 1 };
      case 'latest':
        return { split: id, next: lastSeq + 1 };
      case 'sequence':
        return { split: id, next: start.sequence };
      case 'timestamp':
        return { split: id, startTime: start.timestamp };
    }
  }

  /** The last sequence of split `id` at start (0 when it has no message). */
  private async lastSequenceOf(id: string, lastSeq: number): Promise<number> {
    const m = await this.jsm!.streams.getMessage(this.settings.stream, { last_by_subj: id });
    return m ? Math.min(m.seq, lastSeq) : 0;
  }

  /** The distinct subjects of the stream matching the source's filters. */
  private async listSubjects(): Promise<string[]> {
    const out = new Set<string>();
    for (const filter of this.settings.subjects) {
      const info = await this.jsm!.streams.info(this.settings.stream, { subjects_filter: filter });
      for (const subject of Object.keys(info.state.subjects ?? {})) out.add(subject);
    }
    return [...out].sort();
  }

  /** Adds the owned subjects that appeared since the last look; they start at their first message. */
  private async discover(): Promise<void> {
    if (this.discovering || this.closed) return;
    this.discovering = true;
    try {
      for (const id of await this.listSubjects()) {
        if (!this.splits.has(id) && ownerOfSplit(id, this.ctx.parallelism) === this.ctx.subtaskIndex) this.addSplit({ split: id, next: 1 });
      }
    } catch {
      // The server is away (a restart): the next round looks again.
    } finally {
      this.discovering = false;
    }
  }

  private addSplit(position: LogSplitPosition): void {
    const finished = position.end !== undefined && position.next !== undefined && position.next > position.end;
    const split: OwnedSplit = { id: position.split, position, queue: [], head: 0, fetcher: undefined, output: undefined, finished, undelivered: undefined };
    this.splits.set(split.id, split);
    this.order.push(split);
    if (!finished && !this.closed) {
      const { next, startTime, end } = position;
      split.fetcher = new SplitFetcher(this.js!, this.settings.stream, split.id, { next, startTime, end }, this.settings.fetchBatchSize, this);
    }
    this.signal();
  }

  // FetchTarget: called by the fetchers.

  push(id: string, msg: JsMsg): void {
    const split = this.splits.get(id);
    if (!split) return;
    split.queue.push(msg);
    this.buffered++;
    this.signal();
  }

  whenRoom(): Promise<void> {
    if (this.buffered < this.settings.maxBufferedMessages || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  fail(err: unknown): void {
    this.error ??= isStreamNotFound(err) ? streamNotFound(this.who, this.settings.stream, this.settings.connection.servers, err) : err;
    this.signal();
  }

  retrying(id: string, err: unknown): void {
    // Transient (the server restarts, the connection is re-established): the fetcher retries
    // from its cursor. Logged through the process warning channel at most once per split and minute.
    const now = Date.now();
    const last = this.lastWarned.get(id) ?? 0;
    if (now - last < 60_000) return;
    this.lastWarned.set(id, now);
    process.emitWarning(`${this.ctx.sourceName}: reading ${id} of stream ${this.settings.stream} failed (${describeError(err)}); retrying from sequence ${this.splits.get(id)?.position.next ?? '?'}`, {
      type: 'FlussWarning',
      code: 'FLUSS_JETSTREAM_RETRY',
    });
  }

  private readonly lastWarned = new Map<string, number>();

  /**
   * The backlog (`pendingRecords`): per unfinished split, the messages fetched but not emitted
   * plus those the server had not delivered after the last emitted one; unknown until every
   * unfinished split emitted a message.
   */
  pendingRecords(): number | undefined {
    let n = 0;
    for (const split of this.order) {
      if (split.finished) continue;
      if (split.undelivered === undefined) return undefined;
      n += split.undelivered + split.queue.length - split.head;
    }
    return n;
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.error) throw this.error;
    const order = this.order;
    if (order.length === 0) {
      if (this.settings.bounded) return 'END_OF_INPUT';
      this.setIdle(output, true);
      return 'NOTHING_AVAILABLE';
    }
    this.setIdle(output, false);
    let emitted = 0;
    let unfinished = 0;
    const n = order.length;
    this.rotate = (this.rotate + 1) % n;
    for (let k = 0; k < n; k++) {
      const split = order[(this.rotate + k) % n]!;
      if (split.finished) continue;
      // Every split gets its watermark output when it is assigned, so an empty split holds the watermark until idle.
      const out = (split.output ??= (output.createOutputForSplit?.(split.id) as ReaderOutput<unknown> | undefined) ?? (output as ReaderOutput<unknown>));
      let last: JsMsg | undefined;
      while (emitted < maxRecords && split.head < split.queue.length) {
        const m = (last = split.queue[split.head]!);
        split.queue[split.head++] = undefined as unknown as JsMsg;
        this.buffered--;
        split.position = { split: split.id, next: m.seq + 1, end: split.position.end };
        this.emit(out, m);
        emitted++;
      }
      // Once per poll and split: the delivery info the last message carries, no round trip.
      if (last) split.undelivered = undeliveredAfter(last);
      if (split.head === split.queue.length) {
        split.queue = [];
        split.head = 0;
      } else if (split.head > 1024 && split.head * 2 > split.queue.length) {
        split.queue = split.queue.slice(split.head);
        split.head = 0;
      }
      if (split.position.end !== undefined && split.position.next !== undefined && split.position.next > split.position.end) {
        split.finished = true;
        output.releaseOutputForSplit?.(split.id);
      } else unfinished++;
    }
    if (this.buffered < this.settings.maxBufferedMessages) this.wakeFetchers();
    if (this.settings.bounded && unfinished === 0) return 'END_OF_INPUT';
    if (emitted > 0 || this.buffered > 0) return 'MORE_AVAILABLE';
    return 'NOTHING_AVAILABLE';
  }

  /** Decodes and emits one message with its server timestamp. */
  private emit(out: ReaderOutput<unknown>, m: JsMsg): void {
    let value: T;
    try {
      value = this.settings.deserializer(recordOf(m));
    } catch (err) {
      let text: string;
      try {
        text = m.string();
      } catch {
        text = `${m.data.length} bytes`;
      }
      this.poison.onPoison(err, `message ${m.seq} of subject ${m.subject} in stream ${this.settings.stream} (${previewRecord(text)})`);
      return;
    }
    out.collect(value, timestampOf(m));
  }

  private setIdle(output: ReaderOutput<T>, idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    if (idle) output.markIdle?.();
    else output.markActive?.();
  }

  isAvailable(): Promise<void> {
    if (this.error || this.buffered > 0) return Promise.resolve();
    if (!this.available) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.available = { promise, resolve };
    }
    return this.available.promise;
  }

  private signal(): void {
    const a = this.available;
    this.available = undefined;
    a?.resolve();
  }

  private wakeFetchers(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poison.flush();
    if (this.discovery) clearInterval(this.discovery);
    for (const s of this.order) s.fetcher?.stop();
    this.wakeFetchers();
    this.signal();
    await Promise.all(this.order.map((s) => s.fetcher?.done));
    const nc = this.nc;
    this.nc = undefined;
    await nc?.close().catch(() => undefined);
  }
}

/** `info.pending` of a delivered message: what the consumer had not delivered after it; undefined when it does not say. */
function undeliveredAfter(m: JsMsg): number | undefined {
  try {
    const pending = m.info.pending;
    return Number.isInteger(pending) && pending >= 0 ? pending : undefined;
  } catch {
    return undefined;
  }
}
