/**
 * The contract between tasks and the data plane. A producer subtask writes into one
 * {@link ResultPartition} per outgoing JobEdge (one subpartition per consumer subtask); a
 * consumer subtask reads one {@link InputGate} per incoming JobEdge (one channel per producer
 * subtask). Channels between tasks of one TaskManager hand batches over as objects; channels
 * between TaskManagers travel as msgpack-encoded batches over gRPC streams with credit-based
 * flow control. Nothing here awaits per record.
 */
import type { ChannelEvent, ChannelItem, CheckpointBarrierEvent, RecordBatch } from '../common/stream-element.js';

/** Builds the id of a result partition: one per (job, edge, producer subtask, attempt). */
export function resultPartitionId(jobId: string, edgeId: string, producerSubtask: number, attempt: number): string {
  return `${jobId}/${edgeId}/${producerSubtask}/${attempt}`;
}

/** Options of one result partition. */
export interface ResultPartitionOptions {
  /** Flush a non-empty buffer at the latest after this many ms (0: after every record). */
  bufferTimeoutMs: number;
  /** Flush a buffer once it holds this many records (default 1024). */
  maxRecordsPerBatch?: number;
}

/** The producer side of one JobEdge for one producer subtask. */
export interface ResultPartition {
  readonly id: string;
  readonly numberOfSubpartitions: number;
  /**
   * Names the operator that writes into this partition and its edge (`"Map -> HASH -> Window"`)
   * for the error a record that cannot be sent fails the producer with.
   */
  describeProducer(operatorName: string, edgeName: string): void;
  /**
   * Appends a record to the open buffer of `subpartition`; the buffer is flushed when full.
   * Throws (as do the other writes, and {@link whenAvailable} rejects) once a record of this
   * partition could not be serialised for a remote consumer: the producer has failed.
   */
  emitRecord(subpartition: number, value: unknown, timestamp: number): void;
  /** Appends a record to every subpartition (broadcast partitioning). */
  broadcastRecord(value: unknown, timestamp: number): void;
  /** Flushes open buffers, then enqueues `event` on every subpartition, in order. */
  broadcastEvent(event: ChannelEvent): void;
  /**
   * Puts an unaligned barrier at the head of every subpartition's queue (see
   * SubpartitionQueue#addPriorityEvent); returns, per subpartition, the batches it overtook.
   */
  broadcastPriorityEvent(event: ChannelEvent): RecordBatch[][];
  /**
   * Sends an aligned barrier that may time out (it carries `alignedTimeoutMs`) like
   * {@link broadcastEvent}; resolves, per subpartition, with the batches it overtook: none where
   * it went out in order, the queued ones where {@link alignedBarrierTimeout} found it first.
   */
  broadcastTimeoutableBarrier(barrier: CheckpointBarrierEvent): Promise<RecordBatch[][]>;
  /** The aligned timeout of `checkpointId` passed: its barriers still queued become unaligned, at the head. */
  alignedBarrierTimeout(checkpointId: number): void;
  /** Flushes every open buffer now. */
  flushAll(): void;
  /**
   * False while some subpartition has more queued batches than its consumer granted credit for
   * (plus a small bound): the producing task must stop and wait for {@link whenAvailable}.
   */
  isAvailable(): boolean;
  /** Resolves once {@link isAvailable} is true again (or the partition was released). */
  whenAvailable(): Promise<void>;
  /** Flushes, sends end-of-partition, resolves when every consumer received everything. */
  finish(): Promise<void>;
  /** Drops queued data and frees the partition; readers see `cause` as a failure. */
  release(cause?: Error): void;
}

/** Where a consumer finds one producer subtask's subpartition. */
export interface InputChannelDescriptor {
  /** {@link resultPartitionId} of the producer's partition. */
  partitionId: string;
  /** The consumer's subtask index (= the subpartition it reads). */
  subpartition: number;
  /** Id of the TaskManager running the producer. */
  producerTaskManagerId: string;
  /** `host:port` of that TaskManager's data server. */
  producerAddress: string;
}

/** One item delivered by an input gate, tagged with its channel. */
export interface GateItem {
  channel: number;
  item: ChannelItem;
  /** With an unaligned barrier: the batches of this channel it overtook (received before it, still queued). */
  overtaken?: RecordBatch[];
}

/** The consumer side of one JobEdge for one consumer subtask. */
export interface InputGate {
  readonly numberOfChannels: number;
  /**
   * The next item of any unblocked channel, or undefined when none is ready. Taking a record
   * batch gives its credit back to the producer. Items of one channel come in order.
   */
  pollNext(): GateItem | undefined;
  /** The next unaligned barrier that jumped a channel's queue (blocked channels included), if any. */
  pollPriority(): GateItem | undefined;
  /** Resolves once {@link pollPriority} may return an item (a task waiting for output credit still takes barriers). */
  whenPriorityAvailable(): Promise<void>;
  /** Resolves when {@link pollNext} may return an item; rejects when a channel failed. */
  whenAvailable(): Promise<void>;
  /** Stops delivering items of `channel` (barrier alignment) until {@link unblockChannel}. */
  blockChannel(channel: number): void;
  unblockChannel(channel: number): void;
  /** True once every channel delivered end-of-partition and everything was polled. */
  isFinished(): boolean;
  /** Stops reading, cancels remote subscriptions. */
  close(): void;
}

/** Options of an input gate. */
export interface InputGateOptions {
  /** Credits (buffers) granted per channel; default from `taskmanager.network.memory.buffers-per-channel`. */
  creditsPerChannel?: number;
}

/** The data plane of one TaskManager. */
export interface ShuffleEnvironment {
  readonly taskManagerId: string;
  /** `host:port` other TaskManagers use to subscribe to this one's partitions. */
  readonly dataAddress: string;
  createResultPartition(partitionId: string, numberOfSubpartitions: number, options: ResultPartitionOptions): ResultPartition;
  createInputGate(channels: InputChannelDescriptor[], options?: InputGateOptions): InputGate;
  /** Releases every partition and gate of a job (cancel, failover). */
  releaseJob(jobId: string, cause?: Error): void;
  /**
   * Releases the named partitions (those still registered) and fails the subscriptions waiting
   * for them: the partitions of subtask executions that ended. Other partitions of the same job,
   * such as those a newer attempt is about to register, are left alone.
   */
  releasePartitions(partitionIds: Iterable<string>, cause?: Error): void;
  close(): Promise<void>;
}
