/**
 * An input channel whose producer runs in the same TaskManager: batches are handed over as
 * the very objects the producer built, never serialised. Credit works as for remote channels:
 * the producer's subpartition delivers a batch only while this channel holds credit, and
 * polling a batch gives its credit back.
 */
import type { ChannelItem } from '../common/stream-element.js';
import { describeError } from '../core/errors.js';
import type { InputChannelDescriptor } from './shuffle-types.js';
import { InputChannel, type InputChannelListener } from './input-channel.js';
import { PartitionNotFoundError, ProducerFailedError } from './network-errors.js';
import type { ResultPartitionManager } from './result-partition-manager.js';
import type { SubpartitionQueue, SubpartitionReader } from './subpartition-queue.js';

/** Reads a subpartition of a partition registered in the same NetworkEnvironment. */
export class LocalInputChannel extends InputChannel implements SubpartitionReader {
  private subpartition: SubpartitionQueue | null = null;
  private cancelRequest: (() => void) | null = null;

  constructor(
    index: number,
    descriptor: InputChannelDescriptor,
    credits: number,
    listener: InputChannelListener,
    private readonly partitions: ResultPartitionManager,
    private readonly requestTimeoutMs: number,
  ) {
    super(index, descriptor, credits, listener);
  }

  start(): void {
    this.cancelRequest = this.partitions.request(this.descriptor.partitionId, this.requestTimeoutMs, (partition, error) => {
      this.cancelRequest = null;
      if (this.closed) return;
      if (error !== undefined || partition === undefined) {
        const message = `${this.describe()}: ${describeError(error)}`;
        this.failChannel(
          error instanceof PartitionNotFoundError
            ? new PartitionNotFoundError(message, { cause: error })
            : new ProducerFailedError(message, { cause: error }),
        );
        return;
      }
      const sub = partition.subpartitions[this.descriptor.subpartition];
      if (sub === undefined) {
        this.failChannel(new ProducerFailedError(`${this.describe()}: partition has only ${partition.numberOfSubpartitions} subpartitions`));
        return;
      }
      try {
        this.subpartition = sub;
        sub.attachReader(this, this.credits);
      } catch (err) {
        this.subpartition = null;
        this.failChannel(new ProducerFailedError(`${this.describe()}: ${describeError(err)}`, { cause: err }));
      }
    });
  }

  /** @internal Called by the subpartition. */
  deliver(item: ChannelItem, onDelivered?: () => void): void {
    this.enqueue(item);
    onDelivered?.();
  }

  /** @internal Called by the subpartition when the producer failed or released it. */
  fail(error: Error): void {
    this.failChannel(new ProducerFailedError(`${this.describe()}: producer failed: ${describeError(error)}`, { cause: error }));
  }

  protected onBatchConsumed(): void {
    this.subpartition?.addCredit(1);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelRequest?.();
    this.cancelRequest = null;
    const sub = this.subpartition;
    this.subpartition = null;
    sub?.detachReader(this);
    this.received.clear();
  }
}
