/**
 * Writes an operator's records into the {@link ResultPartition} of one outgoing JobEdge,
 * routing each record with the edge's channel selector (or broadcasting). Synchronous. A
 * record that cannot be sent to a remote consumer fails the write (now or on a later one) with
 * a RecordSerializationError naming the operator and the edge.
 */
import type { PartitionerKind } from '../common/job-graph.js';
import type { ResultPartition } from '../network/shuffle-types.js';
import type { ChannelEvent } from '../common/stream-element.js';
import type { ChannelSelector } from './channel-selectors.js';
import { asUserCodeError } from './user-function.js';
import { checkRecordClass } from '../core/type-registry.js';

/**
 * An edge as Flink's web UI shows it: `"Map -> HASH -> Window(...)"` (producer operator, ship
 * strategy, consumer operator).
 */
export function edgeDisplayName(producer: string, partitioner: PartitionerKind, consumer: string): string {
  return `${producer} -> ${partitioner.toUpperCase()} -> ${consumer}`;
}

/** The network output of one JobEdge. */
export class RecordWriter {
  private lastWatermark = Number.NEGATIVE_INFINITY;
  /** Records written so far (read by the task's metrics once per slice). */
  emitted = 0;

  constructor(
    readonly partition: ResultPartition,
    /** Undefined for broadcast edges. */
    private readonly selector: ChannelSelector | undefined,
    private readonly operatorName: string,
    /** The edge in errors, see {@link edgeDisplayName}; default the partition id. */
    edgeName: string = partition.id,
  ) {
    partition.describeProducer(operatorName, edgeName);
  }

  emit(value: unknown, timestamp: number): void {
    this.emitted++;
    // Class instances only (one prototype check): a class without a name fails here, on local
    // and remote channels alike.
    if (typeof value === 'object' && value !== null) {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== Array.prototype) checkRecordClass(value, this.operatorName);
    }
    if (!this.selector) {
      this.partition.broadcastRecord(value, timestamp);
      return;
    }
    let channel: number;
    try {
      channel = this.selector.selectChannel(value);
    } catch (err) {
      // Key selectors and custom partitioners are user code.
      throw asUserCodeError(this.operatorName, err);
    }
    this.partition.emitRecord(channel, value, timestamp);
  }

  emitWatermark(timestamp: number): void {
    if (timestamp <= this.lastWatermark) return;
    this.lastWatermark = timestamp;
    this.partition.broadcastEvent({ kind: 'watermark', timestamp });
  }

  /** Flushes buffered records, then sends `event` (a checkpoint barrier, a cancellation) to every consumer. */
  broadcastEvent(event: ChannelEvent): void {
    this.partition.broadcastEvent(event);
  }

  /** Tells every consumer channel that this producer is idle or active again. */
  emitWatermarkStatus(idle: boolean): void {
    this.partition.broadcastEvent({ kind: 'watermarkStatus', idle });
  }
}
