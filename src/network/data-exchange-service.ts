/**
 * The producer side of `DataExchange.Subscribe`: one stream per consumer channel. The first
 * message names the subpartition (waiting up to the request timeout for its producer to
 * register it); each item then travels as one `ProducerMessage.frame`, batches only against
 * credit (see {@link SubpartitionQueue}). End-of-partition ends the stream; a producer failure
 * sends an `error` message and ends it. A batch whose frame would exceed the largest message
 * gRPC carries is split in halves until it fits; a single record that does not fit, or one that
 * cannot be encoded at all, fails the producer (never the process).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../core/logger.js';
import { describeError, InternalError, InvalidArgumentError, UnavailableError } from '../core/errors.js';
import type { ChannelItem } from '../common/stream-element.js';
import { GRPC_OPTIONS } from '../core/proto.js';
import type { ConsumerMessage, ProducerMessage } from './data-exchange-protocol.js';
import type { FrameCodec } from './frame-codec.js';
import { formatErrorFrame } from './network-errors.js';
import type { ResultPartitionManager } from './result-partition-manager.js';
import type { SubpartitionQueue, SubpartitionReader } from './subpartition-queue.js';
import { recordTooLarge } from './record-serialization.js';

type SubscribeCall = grpc.ServerDuplexStream<ConsumerMessage, ProducerMessage>;

/** Bounds of subscription fields (a partition id is `<jobId>/<edge>/<subtask>/<attempt>`). */
const MAX_PARTITION_ID_LENGTH = 512;
const MAX_SUBPARTITION = 32767;
const MAX_CREDIT = 1_000_000;

/** Largest frame a producer sends: gRPC's message limit less the `ProducerMessage` envelope. */
export const DEFAULT_MAX_FRAME_BYTES = (GRPC_OPTIONS['grpc.max_send_message_length'] as number) - 16;

/** The frames of `item`: one, or for an oversized batch its halves, recursively, in order. */
export function encodeFrames(codec: FrameCodec, item: ChannelItem, maxFrameBytes: number, out: Buffer[] = []): Buffer[] {
  const frame = codec.encode(item);
  if (frame.length <= maxFrameBytes) {
    out.push(frame);
    return out;
  }
  if (item.kind !== 'records' || item.values.length < 2) throw recordTooLarge(frame.length, maxFrameBytes);
  const mid = item.values.length >>> 1;
  const ts = item.timestamps;
  encodeFrames(codec, { kind: 'records', values: item.values.slice(0, mid), timestamps: ts && ts.slice(0, mid) }, maxFrameBytes, out);
  encodeFrames(codec, { kind: 'records', values: item.values.slice(mid), timestamps: ts && ts.slice(mid) }, maxFrameBytes, out);
  return out;
}

function isCount(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/** One consumer's subscription, as the producing subpartition sees it. */
class RemoteSubpartitionReader implements SubpartitionReader {
  private subpartition: SubpartitionQueue | null = null;
  private cancelRequest: (() => void) | null = null;
  private pendingCredit = 0;
  private subscribed = false;
  private done = false;

  constructor(
    private readonly call: SubscribeCall,
    private readonly partitions: ResultPartitionManager,
    private readonly codec: FrameCodec,
    private readonly requestTimeoutMs: number,
    private readonly maxFrameBytes: number,
    private readonly logger: Logger,
  ) {
    call.on('data', (msg: ConsumerMessage) => this.onMessage(msg));
    call.on('error', () => this.onGone());
    call.on('cancelled', () => this.onGone());
    call.on('end', () => this.onGone());
  }

  private onMessage(msg: ConsumerMessage): void {
    if (this.done) return;
    if (msg.subscribe !== undefined) {
      if (this.subscribed) {
        this.fail(new InvalidArgumentError('a data stream subscribes only once'));
        return;
      }
      this.subscribed = true;
      const { partitionId, subpartition, initialCredit } = msg.subscribe;
      // Hand-made clients can send anything: bound what reaches the partition manager.
      if (typeof partitionId !== 'string' || partitionId.length === 0 || partitionId.length > MAX_PARTITION_ID_LENGTH) {
        this.fail(new InvalidArgumentError(`subscribe.partition_id must be 1-${MAX_PARTITION_ID_LENGTH} characters`));
        return;
      }
      if (!isCount(subpartition, MAX_SUBPARTITION) || !isCount(initialCredit, MAX_CREDIT)) {
        this.fail(new InvalidArgumentError(`subscribe needs subpartition 0-${MAX_SUBPARTITION} and initial_credit 0-${MAX_CREDIT}`));
        return;
      }
      this.pendingCredit += initialCredit;
      this.cancelRequest = this.partitions.request(partitionId, this.requestTimeoutMs, (partition, error) => {
        this.cancelRequest = null;
        if (this.done) return;
        if (error !== undefined || partition === undefined) {
          this.fail(error ?? new UnavailableError(`result partition ${partitionId} unavailable`));
          return;
        }
        const sub = partition.subpartitions[subpartition];
        if (sub === undefined) {
          this.fail(new InvalidArgumentError(`result partition ${partitionId} has no subpartition ${subpartition}`));
          return;
        }
        try {
          this.subpartition = sub;
          const credit = this.pendingCredit;
          this.pendingCredit = 0;
          sub.attachReader(this, credit);
        } catch (err) {
          this.subpartition = null;
          this.fail(err instanceof Error ? err : new InternalError(describeError(err), { cause: err }));
        }
      });
    } else if (msg.credit !== undefined && msg.credit > 0) {
      if (!isCount(msg.credit, MAX_CREDIT) || this.pendingCredit + msg.credit > MAX_CREDIT * 16) {
        this.fail(new InvalidArgumentError(`a credit grant must be 1-${MAX_CREDIT}`));
        return;
      }
      if (this.subpartition !== null) this.subpartition.addCredit(msg.credit);
      else this.pendingCredit += msg.credit;
    }
  }

  /** Throws when `item` cannot be encoded; the subpartition then fails its producer. */
  deliver(item: ChannelItem, onDelivered?: () => void): void {
    if (this.done) return;
    if (onDelivered === undefined) {
      const frames = encodeFrames(this.codec, item, this.maxFrameBytes);
      // The consumer returns one credit per frame: charge the extra halves of a split batch.
      if (frames.length > 1) this.subpartition?.chargeCredit(frames.length - 1);
      for (const frame of frames) this.call.write({ frame });
      return;
    }
    const frame = this.codec.encode(item);
    // End of partition: the consumer has everything once this frame is written.
    this.call.write({ frame }, () => onDelivered());
    this.finishCall();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.logger.debug({ err: describeError(error) }, 'data subscription failed');
    this.call.write({ error: formatErrorFrame(error) });
    this.finishCall();
  }

  private finishCall(): void {
    this.done = true;
    this.cancelRequest?.();
    this.cancelRequest = null;
    this.call.end();
  }

  /** The consumer half-closed, cancelled, or its connection broke. */
  private onGone(): void {
    this.cancelRequest?.();
    this.cancelRequest = null;
    const sub = this.subpartition;
    this.subpartition = null;
    sub?.detachReader(this);
    this.done = true;
  }
}

/** The DataExchange service implementation of one TaskManager. */
export class DataExchangeService {
  constructor(
    private readonly partitions: ResultPartitionManager,
    private readonly codec: FrameCodec,
    private readonly requestTimeoutMs: number,
    private readonly logger: Logger,
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {}

  /** Handlers for `grpc.Server#addService` with {@link dataExchangeServiceDefinition}. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Subscribe: (call: SubscribeCall) => {
        new RemoteSubpartitionReader(call, this.partitions, this.codec, this.requestTimeoutMs, this.maxFrameBytes, this.logger);
      },
    };
  }
}
