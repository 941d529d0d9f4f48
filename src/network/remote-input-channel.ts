/**
 * An input channel whose producer runs in another TaskManager: one `DataExchange.Subscribe`
 * stream, a subscribe message with the initial credit, then one credit message per run of
 * consumed batches (credits taken in one synchronous run of the task are announced together).
 */
import type * as grpc from '@grpc/grpc-js';
import type { ChannelItem } from '../common/stream-element.js';
import { describeError } from '../core/errors.js';
import { jobTypeRegistry, type TypeRegistry } from '../core/type-registry.js';
import type { InputChannelDescriptor } from './shuffle-types.js';
import { InputChannel, type InputChannelListener } from './input-channel.js';
import {
  dataExchangeServiceDefinition,
  type ConsumerMessage,
  type ProducerMessage,
} from './data-exchange-protocol.js';
import type { FrameCodec } from './frame-codec.js';
import { DataConnectionError, parseErrorFrame } from './network-errors.js';
import { jobIdOfPartition } from './result-partition-manager.js';

/** Reads a subpartition of a partition produced by another TaskManager. */
export class RemoteInputChannel extends InputChannel {
  private call: grpc.ClientDuplexStream<ConsumerMessage, ProducerMessage> | null = null;
  private unannouncedCredit = 0;
  private creditScheduled = false;
  private endReceived = false;
  private readonly announceCredit = (): void => {
    this.creditScheduled = false;
    const credit = this.unannouncedCredit;
    this.unannouncedCredit = 0;
    if (credit > 0 && this.call !== null && !this.closed && !this.endReceived && this.failure === null) {
      this.call.write({ credit });
    }
  };

  constructor(
    index: number,
    descriptor: InputChannelDescriptor,
    credits: number,
    listener: InputChannelListener,
    private readonly client: grpc.Client,
    private readonly codec: FrameCodec,
  ) {
    super(index, descriptor, credits, listener);
    this.types = jobTypeRegistry(jobIdOfPartition(descriptor.partitionId));
  }

  /** The job's registered classes, in which records' class names resolve. */
  private readonly types: TypeRegistry;

  start(): void {
    const method = dataExchangeServiceDefinition()['Subscribe'] as grpc.MethodDefinition<ConsumerMessage, ProducerMessage>;
    const call = this.client.makeBidiStreamRequest<ConsumerMessage, ProducerMessage>(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
    );
    this.call = call;
    call.on('data', (msg: ProducerMessage) => this.onMessage(msg));
    call.on('error', (err: grpc.ServiceError) => {
      if (this.closed || this.endReceived) return;
      this.failChannel(
        new DataConnectionError(`${this.describe()}: data connection lost: ${err.details || err.message}`, { cause: err }),
      );
    });
    call.on('end', () => {
      if (this.closed || this.endReceived) return;
      this.failChannel(new DataConnectionError(`${this.describe()}: producer closed the stream before end of partition`));
    });
    const d = this.descriptor;
    call.write({ subscribe: { partitionId: d.partitionId, subpartition: d.subpartition, initialCredit: this.credits } });
  }

  private onMessage(msg: ProducerMessage): void {
    if (this.closed || this.failure !== null) return;
    if (msg.error !== undefined) {
      this.failChannel(parseErrorFrame(msg.error, this.describe()));
      this.call?.cancel();
      return;
    }
    let item: ChannelItem;
    try {
      item = this.codec.decode(msg.frame ?? new Uint8Array(0), this.types);
    } catch (err) {
      this.failChannel(new DataConnectionError(`${this.describe()}: ${describeError(err)}`, { cause: err }));
      this.call?.cancel();
      return;
    }
    if (item.kind === 'endOfPartition') {
      this.endReceived = true;
      this.call?.end();
    }
    this.enqueue(item);
  }

  protected onBatchConsumed(): void {
    this.unannouncedCredit++;
    if (!this.creditScheduled) {
      this.creditScheduled = true;
      queueMicrotask(this.announceCredit);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.received.clear();
    const call = this.call;
    this.call = null;
    // Cancelling a finished call is a no-op; an unfinished one tells the producer we left.
    call?.cancel();
  }
}
