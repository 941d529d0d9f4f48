/**
 * The writer of one {@link JetStreamSink} subtask. Every message gets a `Nats-Msg-Id` made of
 * (job, checkpoint, subtask, sequence): `<job>:<checkpoint>:<subtask>:<n>` is the n-th record
 * the subtask received after checkpoint `<checkpoint>`'s barrier.
 *
 * - `EXACTLY_ONCE` (write-ahead, as Flink's GenericWriteAheadSink): the records after a barrier
 *   are kept; at the next barrier they are sealed into an epoch stored in operator state, and
 *   published once that checkpoint completed. A restore publishes the epochs of the restored
 *   checkpoint again with the same ids, which the server drops as duplicates if they were
 *   stored before the failure. Replays are therefore dropped however the sink's input
 *   interleaves after a failover. Memory: one checkpoint interval of records, bounded by
 *   `maxBufferedRecords` (the job fails with one line beyond it: checkpointing must be on).
 * - `AT_LEAST_ONCE`: records are published as they arrive and every ack is awaited at the
 *   barrier (flush). After a failover the replayed records get the same ids only when the
 *   sink's input arrives in the same order (a forward chain from a source); otherwise they are
 *   published again.
 *
 * Either way a publish is retried with its id until acknowledged (server restarts), at most
 * `maxPendingAcks` are unacknowledged, and the writer backpressures its task while the window
 * is full (EXACTLY_ONCE: while a completed epoch still waits to be published). Exactly once
 * holds within the stream's duplicate window (`duplicate_window`, 2 minutes by default): a
 * replay later than that is stored again (at least once).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { CheckpointListener, StateInitializationContext, StateSnapshotContext } from '../../common/checkpoint-hooks.js';
import type { ListState } from '../../common/runtime-context.js';
import type { SinkWriter, SinkWriterContext } from '../../common/sink.js';
import { FailedPreconditionError, NotFoundError } from '../../core/errors.js';
import { connectJetStream, isStreamNotFound, serversForMessage, streamNotFound, type JetStreamConnectionOptions } from './jetstream-connection.js';
import { JetStreamPublisher, type OutgoingMessage } from './jetstream-publisher.js';

/** Operator list state of the sealed, not yet published epochs. */
export const JETSTREAM_SINK_EPOCHS_STATE = '_jetstream_sink_epochs';

/** How the sink delivers (Flink's `DeliveryGuarantee`). */
export type JetStreamDeliveryGuarantee = 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';

/** The settings of a sink. */
export interface JetStreamSinkSettings<T> {
  readonly connection: JetStreamConnectionOptions;
  /** Checked to exist at start, when given. */
  readonly stream: string | undefined;
  readonly subjectOf: (value: T) => string;
  readonly serialize: (value: T) => Uint8Array;
  readonly guarantee: JetStreamDeliveryGuarantee;
  readonly maxPendingAcks: number;
  readonly maxBufferedRecords: number;
  readonly publishTimeoutMs: number;
}

/** Records after one barrier, sealed at the next: published once that checkpoint completed. */
interface Epoch {
  /** `<job>:<checkpoint after which the records came>:<subtask>`. */
  key: string;
  /** The checkpoint whose completion allows publishing. */
  checkpointId: number;
  subjects: string[];
  payloads: Uint8Array[];
}

/** AT_LEAST_ONCE: the unacknowledged publishes of the records between two barriers. */
interface UnackedEpoch {
  count: number;
  done: { resolve: () => void; reject: (err: unknown) => void } | undefined;
}

/** Writes one subtask's records. */
export class JetStreamSinkWriter<T> implements SinkWriter<T>, CheckpointListener {
  private nc: NatsConnection | undefined;
  private publisher: JetStreamPublisher | undefined;
  private state: ListState<Epoch[]> | undefined;
  /** Key of the records since the last barrier, and how many there were. */
  private epochKey: string;
  private seq = 0;
  private subjects: string[] = [];
  private payloads: Uint8Array[] = [];
  /** Sealed epochs, oldest first, until every message of theirs was acknowledged. */
  private sealed: Epoch[] = [];
  private publishing = new Set<Epoch>();
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private available: (() => void) | undefined;
  private lastCheckpointId = 0;
  /** AT_LEAST_ONCE: per epoch since the oldest unacknowledged, its unacknowledged publishes. */
  private readonly unacked: UnackedEpoch[] = [{ count: 0, done: undefined }];
  private readonly who: string;

  constructor(
    private readonly settings: JetStreamSinkSettings<T>,
    private readonly ctx: SinkWriterContext,
  ) {
    this.who = `JetStreamSink(${settings.stream ?? 'subjects'})`;
    this.epochKey = this.keyAfter(0);
  }

  private keyAfter(checkpointId: number): string {
    return `${this.ctx.jobId}:${checkpointId}:${this.ctx.subtaskIndex}`;
  }

  async initializeState(ctx: StateInitializationContext): Promise<void> {
    const s = this.settings;
    const nc = (this.nc = await connectJetStream(this.who, s.connection));
    if (s.stream !== undefined) {
      try {
        await (await jetstreamManager(nc)).streams.info(s.stream);
      } catch (err) {
        if (isStreamNotFound(err)) throw streamNotFound(this.who, s.stream, s.connection.servers, err);
        throw err;
      }
    }
    const jsm = await jetstreamManager(nc);
    this.publisher = new JetStreamPublisher(
      jetstream(nc),
      this.who,
      s.maxPendingAcks,
      s.publishTimeoutMs,
      (subject) => jsm.streams.find(subject),
      (subject) => new NotFoundError(`${this.who}: no JetStream stream takes subject "${subject}" on NATS at ${serversForMessage(s.connection.servers)}`),
    );
    this.publisher.onFailure((err) => {
      for (const e of this.unacked) e.done?.reject(err);
    });
    this.state = ctx.getListState<Epoch[]>(JETSTREAM_SINK_EPOCHS_STATE);
    this.lastCheckpointId = ctx.restoredCheckpointId ?? 0;
    this.epochKey = this.keyAfter(this.lastCheckpointId);
    if (ctx.isRestored) {
      // Sealed under the restored (completed) checkpoint: publish again, duplicates are dropped.
      this.sealed = [...this.state.get()].flat().map((e) => ({ ...e, checkpointId: Math.min(e.checkpointId, this.lastCheckpointId) }));
      this.publishDue(this.lastCheckpointId);
    }
  }

  write(value: T): void {
    if (this.failure) throw this.failure;
    const subject = this.settings.subjectOf(value);
    const data = this.settings.serialize(value);
    if (this.settings.guarantee === 'AT_LEAST_ONCE') {
      this.publisher!.check();
      const epoch = this.unacked.at(-1)!;
      epoch.count++;
      this.publisher!.publish({ subject, data, msgId: `${this.epochKey}:${this.seq++}` }, () => this.acked(epoch));
      return;
    }
    if (this.subjects.length >= this.settings.maxBufferedRecords) {
      throw new FailedPreconditionError(
        `${this.who}: ${this.subjects.length} records arrived since the last checkpoint (maxBufferedRecords); EXACTLY_ONCE publishes after each checkpoint, so enable checkpointing (or checkpoint more often), raise setMaxBufferedRecords, or use AT_LEAST_ONCE`,
      );
    }
    this.subjects.push(subject);
    this.payloads.push(data);
  }

  /** False while the task should stop feeding records (backpressure). */
  isAvailable(): boolean {
    if (this.failure) return true;
    if (this.settings.guarantee === 'AT_LEAST_ONCE') return this.publisher?.hasSlot() ?? true;
    return this.publishing.size <= 1;
  }

  whenAvailable(): Promise<void> {
    if (this.isAvailable()) return Promise.resolve();
    if (this.settings.guarantee === 'AT_LEAST_ONCE') return this.publisher!.whenSlot();
    return new Promise((resolve) => {
      const previous = this.available;
      this.available = () => {
        previous?.();
        resolve();
      };
    });
  }

  snapshotState(ctx: StateSnapshotContext): Promise<void> | void {
    if (this.failure) throw this.failure;
    this.lastCheckpointId = ctx.checkpointId;
    if (this.settings.guarantee === 'AT_LEAST_ONCE') {
      this.epochKey = this.keyAfter(ctx.checkpointId);
      this.seq = 0;
      // The checkpoint is acknowledged once every record before its barrier was stored
      // (records after the barrier, published meanwhile, do not hold it up).
      const before = this.unacked.at(-1)!;
      this.unacked.push({ count: 0, done: undefined });
      return this.whenAcked(before);
    }
    this.seal(ctx.checkpointId);
    // One list element per subtask: its epochs stay together, in order, when the state is redistributed.
    this.state!.update(this.sealed.length > 0 ? [this.sealed.map((e) => ({ ...e }))] : []);
  }

  /** AT_LEAST_ONCE: one publish of `epoch` was acknowledged. */
  private acked(epoch: UnackedEpoch): void {
    epoch.count--;
    this.settleAcked();
  }

  /** Resolves the waits of the oldest epochs whose publishes were all acknowledged. */
  private settleAcked(): void {
    while (this.unacked.length > 1 && this.unacked[0]!.count === 0) {
      const e = this.unacked.shift()!;
      e.done?.resolve();
    }
  }

  /** Resolves once `epoch` and every epoch before it were acknowledged; rejects on a publish failure. */
  private whenAcked(epoch: UnackedEpoch): Promise<void> {
    this.settleAcked();
    if (!this.unacked.includes(epoch)) return Promise.resolve();
    // A publish failure ends the wait: the checkpoint is then declined with the error.
    return new Promise<void>((resolve, reject) => (epoch.done = { resolve, reject }));
  }

  /** The records since the last barrier become the epoch of checkpoint `checkpointId`. */
  private seal(checkpointId: number): void {
    if (this.subjects.length > 0) this.sealed.push({ key: this.epochKey, checkpointId, subjects: this.subjects, payloads: this.payloads });
    this.subjects = [];
    this.payloads = [];
    this.epochKey = this.keyAfter(checkpointId);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    if (this.settings.guarantee === 'EXACTLY_ONCE') this.publishDue(checkpointId);
  }

  /** Publishes (in order, after those already going) the epochs of checkpoints up to `checkpointId`. */
  private publishDue(checkpointId: number): void {
    for (const epoch of this.sealed) {
      if (epoch.checkpointId > checkpointId || this.publishing.has(epoch)) continue;
      this.publishing.add(epoch);
      const messages: OutgoingMessage[] = epoch.subjects.map((subject, i) => ({ subject, data: epoch.payloads[i]!, msgId: `${epoch.key}:${i}` }));
      this.chain = this.chain
        .then(() => this.publisher!.publishAll(messages))
        .then(() => this.publisher!.flush())
        .then(
          () => {
            this.sealed = this.sealed.filter((e) => e !== epoch);
            this.publishing.delete(epoch);
            this.wakeAvailable();
          },
          (err: unknown) => {
            this.failure ??= err;
            this.wakeAvailable();
          },
        );
    }
  }

  private wakeAvailable(): void {
    if (!this.isAvailable()) return;
    const a = this.available;
    this.available = undefined;
    a?.();
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.settings.guarantee === 'AT_LEAST_ONCE') return this.publisher!.flush();
    if (endOfInput) {
      // The end of a bounded job: what came after the last checkpoint is published now.
      this.seal(Number.MAX_SAFE_INTEGER);
      this.publishDue(Number.MAX_SAFE_INTEGER);
    }
    await this.chain;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    this.publisher?.close();
    this.wakeAvailable();
    const nc = this.nc;
    this.nc = undefined;
    await nc?.close().catch(() => undefined);
  }
}
