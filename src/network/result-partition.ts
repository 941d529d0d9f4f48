/**
 * The pipelined result partition: one {@link SubpartitionQueue} per consumer subtask, a flush
 * timer for the buffer timeout, and the availability signal that backpressures the producing
 * task.
 */
import type { ResultPartition, ResultPartitionOptions } from './shuffle-types.js';
import { END_OF_PARTITION, type ChannelEvent, type CheckpointBarrierEvent, type RecordBatch } from '../common/stream-element.js';
import { InvalidArgumentError } from '../core/errors.js';
import { SubpartitionQueue, type SubpartitionOwner } from './subpartition-queue.js';
import { ProducerFailedError } from './network-errors.js';
import { RecordSerializationError, UnserializableRecordError } from './record-serialization.js';
import { deferred, RESOLVED, type Deferred } from './deferred.js';

/** Default number of records after which a buffer is closed into a batch. */
export const DEFAULT_MAX_RECORDS_PER_BATCH = 1024;

/** A result partition whose subpartitions stream to consumers as soon as they have credit. */
export class PipelinedResultPartition implements ResultPartition, SubpartitionOwner {
  readonly numberOfSubpartitions: number;
  /** The subpartitions, by consumer subtask index. */
  readonly subpartitions: readonly SubpartitionQueue[];
  private overfullCount = 0;
  private availability: Deferred | null = null;
  private finishing: Deferred | null = null;
  private endsDelivered = 0;
  private timer: NodeJS.Timeout | null = null;
  private released: Error | null = null;
  private consumerLost: Error | null = null;
  /** Set when a record could not be delivered: the producing task must fail with it. */
  private producerFailure: Error | null = null;
  private operatorName: string;
  private edgeName: string;

  /**
   * @param id the {@link resultPartitionId}.
   * @param numberOfSubpartitions one per consumer subtask.
   * @param options buffer timeout (0: flush after every record; negative: only when full) and batch size.
   * @param backlogBound queued items per subpartition beyond which {@link isAvailable} is false.
   * @param onDone called once when the partition is released or fully consumed.
   */
  constructor(
    readonly id: string,
    numberOfSubpartitions: number,
    options: ResultPartitionOptions,
    backlogBound: number,
    private readonly onDone: (partition: PipelinedResultPartition, cause: Error | null) => void,
  ) {
    if (!Number.isInteger(numberOfSubpartitions) || numberOfSubpartitions < 1) {
      throw new InvalidArgumentError(`result partition ${id} needs at least one subpartition, got ${numberOfSubpartitions}`);
    }
    this.numberOfSubpartitions = numberOfSubpartitions;
    this.operatorName = `the producer of result partition ${id}`;
    this.edgeName = id;
    const maxRecords = options.bufferTimeoutMs === 0 ? 1 : Math.max(1, options.maxRecordsPerBatch ?? DEFAULT_MAX_RECORDS_PER_BATCH);
    const subs: SubpartitionQueue[] = [];
    for (let i = 0; i < numberOfSubpartitions; i++) subs.push(new SubpartitionQueue(this, i, maxRecords, backlogBound));
    this.subpartitions = subs;
    if (options.bufferTimeoutMs > 0) {
      this.timer = setInterval(() => this.flushSubpartitions(), options.bufferTimeoutMs);
      this.timer.unref();
    }
  }

  describeProducer(operatorName: string, edgeName: string): void {
    this.operatorName = operatorName;
    this.edgeName = edgeName;
  }

  emitRecord(subpartition: number, value: unknown, timestamp: number): void {
    const sub = this.subpartitions[subpartition];
    if (sub === undefined) {
      throw new InvalidArgumentError(`subpartition ${subpartition} out of range [0, ${this.numberOfSubpartitions}) in ${this.id}`);
    }
    sub.add(value, timestamp);
    // A batch this record closed, or one sent earlier from a timer or a credit, failed to encode.
    if (this.producerFailure !== null) throw this.producerFailure;
  }

  /** Local consumers of different subpartitions receive the same `value` object. */
  broadcastRecord(value: unknown, timestamp: number): void {
    const subs = this.subpartitions;
    for (let i = 0; i < subs.length; i++) subs[i]!.add(value, timestamp);
    if (this.producerFailure !== null) throw this.producerFailure;
  }

  broadcastEvent(event: ChannelEvent): void {
    const subs = this.subpartitions;
    for (let i = 0; i < subs.length; i++) subs[i]!.addEvent(event);
    if (this.producerFailure !== null) throw this.producerFailure;
  }

  broadcastPriorityEvent(event: ChannelEvent): RecordBatch[][] {
    const out = this.subpartitions.map((sub) => sub.addPriorityEvent(event));
    if (this.producerFailure !== null) throw this.producerFailure;
    return out;
  }

  broadcastTimeoutableBarrier(barrier: CheckpointBarrierEvent): Promise<RecordBatch[][]> {
    const settled = this.subpartitions.map((sub) => new Promise<RecordBatch[]>((resolve) => sub.addTimeoutableBarrier(barrier, resolve)));
    if (this.producerFailure !== null) throw this.producerFailure;
    return Promise.all(settled);
  }

  alignedBarrierTimeout(checkpointId: number): void {
    const subs = this.subpartitions;
    for (let i = 0; i < subs.length; i++) subs[i]!.alignedBarrierTimeout(checkpointId);
  }

  flushAll(): void {
    this.flushSubpartitions();
    if (this.producerFailure !== null) throw this.producerFailure;
  }

  /** Not available once the producer failed, so a waiting task wakes up to the failure. */
  isAvailable(): boolean {
    if (this.producerFailure !== null) return false;
    return this.overfullCount === 0 || this.released !== null;
  }

  whenAvailable(): Promise<void> {
    if (this.producerFailure !== null) return Promise.reject(this.producerFailure);
    if (this.isAvailable()) return RESOLVED;
    if (this.availability === null) this.availability = deferred();
    return this.availability.promise;
  }

  finish(): Promise<void> {
    if (this.released !== null) return Promise.reject(this.released);
    if (this.consumerLost !== null) return Promise.reject(this.consumerLost);
    if (this.finishing !== null) return this.finishing.promise;
    this.finishing = deferred();
    const promise = this.finishing.promise;
    this.stopTimer();
    this.broadcastEvent(END_OF_PARTITION);
    return promise;
  }

  release(cause?: Error): void {
    if (this.released !== null) return;
    const error = cause ?? new ProducerFailedError(`result partition ${this.id} was released`);
    this.released = error;
    this.stopTimer();
    for (const sub of this.subpartitions) sub.fail(error);
    this.signalAvailable();
    if (this.finishing !== null && this.endsDelivered < this.numberOfSubpartitions) this.finishing.reject(error);
    this.onDone(this, error);
  }

  /** @internal */
  onOverfullChanged(overfull: boolean): void {
    this.overfullCount += overfull ? 1 : -1;
    if (this.overfullCount === 0) this.signalAvailable();
  }

  /** @internal */
  onEndDelivered(): void {
    this.endsDelivered++;
    if (this.endsDelivered === this.numberOfSubpartitions && this.released === null) {
      this.finishing?.resolve();
      // Every consumer has everything: nobody will subscribe again.
      this.onDone(this, null);
    }
  }

  /** @internal */
  onDeliveryFailed(error: Error): void {
    if (this.released !== null) return;
    const failure =
      error instanceof UnserializableRecordError ? new RecordSerializationError(this.operatorName, this.edgeName, error) : error;
    this.producerFailure = failure;
    // Consumers learn the reason at once; the producing task on its next emit or wait.
    this.release(failure);
    const waiter = this.availability;
    this.availability = null;
    waiter?.reject(failure);
  }

  /** @internal */
  onConsumerLost(error: Error): void {
    if (this.released !== null || this.consumerLost !== null) return;
    this.consumerLost = error;
    this.finishing?.reject(error);
    // Keep producing into the void instead of blocking: the job is failing over anyway.
    this.signalAvailable();
  }

  private flushSubpartitions(): void {
    const subs = this.subpartitions;
    for (let i = 0; i < subs.length; i++) subs[i]!.flush();
  }

  private signalAvailable(): void {
    const waiter = this.availability;
    if (waiter !== null && this.isAvailable()) {
      this.availability = null;
      waiter.resolve();
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
