/**
 * What travels through channels: batches of records and in-band events. Between tasks of one
 * TaskManager these objects are handed over as they are; between TaskManagers they are
 * serialised by the network layer.
 */

/** Timestamp of a record that has none. */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;

/** The largest watermark: sent at end of input so bounded jobs fire everything. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

/** A batch of records; `timestamps` is null when no record in the batch has one. */
export interface RecordBatch {
  readonly kind: 'records';
  readonly values: unknown[];
  readonly timestamps: number[] | null;
}

/** Event-time progress. */
export interface WatermarkEvent {
  readonly kind: 'watermark';
  readonly timestamp: number;
}

/** The producer marks the channel idle / active again (watermark status). */
export interface WatermarkStatusEvent {
  readonly kind: 'watermarkStatus';
  readonly idle: boolean;
}

/** A checkpoint barrier. */
export interface CheckpointBarrierEvent {
  readonly kind: 'barrier';
  readonly checkpointId: number;
  readonly timestamp: number;
  /** True for savepoints (canonical format). */
  readonly savepoint: boolean;
  /** Aligned (exactly-once) or not (at-least-once). */
  readonly aligned: boolean;
  /**
   * Absolute directory the tasks write this checkpoint's state files into (the source's
   * `CheckpointRequest.targetDir`, carried along so downstream tasks know it too).
   */
  readonly targetDir?: string;
  /**
   * The savepoint of a stop-with-savepoint: the inputs end after it. Without `drain` the tasks
   * then end without the maximal watermark (pending event-time windows do not fire).
   */
  readonly stop?: boolean;
  /** With `stop`: the maximal watermark preceded the barrier. */
  readonly drain?: boolean;
  /**
   * An unaligned barrier (Flink's UNALIGNED checkpoint type): it overtakes the records queued in
   * output subpartitions and input channels, which become channel state of the checkpoint.
   */
  readonly unaligned?: boolean;
  /**
   * An aligned barrier that turns unaligned once this many ms passed since `timestamp`
   * (`execution.checkpointing.aligned-checkpoint-timeout`).
   */
  readonly alignedTimeoutMs?: number;
}

/** Tells consumers that a pending checkpoint was aborted. */
export interface CancelCheckpointEvent {
  readonly kind: 'cancelCheckpoint';
  readonly checkpointId: number;
}

/** The producer subtask finished: no more elements on this channel. */
export interface EndOfPartitionEvent {
  readonly kind: 'endOfPartition';
}

/** An in-band event. */
export type ChannelEvent =
  | WatermarkEvent
  | WatermarkStatusEvent
  | CheckpointBarrierEvent
  | CancelCheckpointEvent
  | EndOfPartitionEvent;

/** Anything a channel carries, in order. */
export type ChannelItem = RecordBatch | ChannelEvent;

/** The singleton end-of-partition event. */
export const END_OF_PARTITION: EndOfPartitionEvent = Object.freeze({ kind: 'endOfPartition' });
