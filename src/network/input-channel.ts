/**
 * The consumer side of one producer subpartition, as an input gate sees it: a queue of
 * received items, credit given back when a batch is taken, and a failure.
 */
import type { ChannelItem, RecordBatch } from '../common/stream-element.js';
import { isPriorityEvent } from './subpartition-queue.js';
import type { InputChannelDescriptor } from './shuffle-types.js';
import { FifoQueue } from './fifo-queue.js';

/** What a channel reports to its gate. */
export interface InputChannelListener {
  /** The channel's queue went from empty to non-empty. */
  onChannelData(channel: InputChannel): void;
  /** An unaligned barrier arrived and went to the head of the channel's queue. */
  onPriorityEvent(channel: InputChannel): void;
  /** The channel failed; the gate fails with `error`. */
  onChannelFailed(channel: InputChannel, error: Error): void;
}

/** Base of local and remote input channels. */
export abstract class InputChannel {
  /** Set by the gate while the channel sits in its queue of channels with data. */
  queuedInGate = false;
  /** The failure of this channel, if any. */
  failure: Error | null = null;
  protected readonly received = new FifoQueue<ChannelItem>();
  protected closed = false;
  /** Per unaligned barrier still queued: the received batches it overtook (input channel state). */
  private readonly overtaken = new Map<number, RecordBatch[]>();

  constructor(
    /** Index of the channel in its gate (= the producer subtask). */
    readonly index: number,
    readonly descriptor: InputChannelDescriptor,
    /** Credits (batches in flight or buffered) granted to the producer. */
    protected readonly credits: number,
    protected readonly listener: InputChannelListener,
  ) {}

  /** Subscribes to the producer's subpartition. */
  abstract start(): void;

  /** Stops receiving and frees the subscription. */
  abstract close(): void;

  /** Called when the gate took a record batch: its credit goes back to the producer. */
  protected abstract onBatchConsumed(): void;

  /** True while received items wait to be polled. */
  get hasData(): boolean {
    return this.received.size > 0;
  }

  /** Takes the next received item. */
  poll(): ChannelItem | undefined {
    const item = this.received.shift();
    if (item !== undefined && item.kind === 'records') this.onBatchConsumed();
    return item;
  }

  /** True when the next item is an unaligned barrier that jumped the queue. */
  get hasPriorityEvent(): boolean {
    const head = this.received.peek();
    return head !== undefined && isPriorityEvent(head);
  }

  /** The batches received before, and queued behind, unaligned barrier `checkpointId` (taken once). */
  takeOvertaken(checkpointId: number): RecordBatch[] | undefined {
    const batches = this.overtaken.get(checkpointId);
    this.overtaken.delete(checkpointId);
    return batches;
  }

  /** One line naming the channel and its producer, for error messages. */
  describe(): string {
    const d = this.descriptor;
    return (
      `input channel ${this.index} (partition ${d.partitionId}, subpartition ${d.subpartition}, ` +
      `producer TaskManager ${d.producerTaskManagerId} at ${d.producerAddress})`
    );
  }

  protected enqueue(item: ChannelItem): void {
    if (this.closed) return;
    if (item.kind === 'barrier' && item.unaligned === true) return this.enqueuePriority(item);
    this.received.push(item);
    if (this.received.size === 1) this.listener.onChannelData(this);
  }

  /** An unaligned barrier overtakes what is queued (behind earlier priority events). */
  private enqueuePriority(item: ChannelItem & { kind: 'barrier' }): void {
    const queue = this.received;
    let at = 0;
    for (let head = queue.at(0); head !== undefined && isPriorityEvent(head); head = queue.at(++at));
    const batches: RecordBatch[] = [];
    for (let i = at, x = queue.at(i); x !== undefined; x = queue.at(++i)) if (x.kind === 'records') batches.push(x);
    this.overtaken.set(item.checkpointId, batches);
    queue.insertAt(at, item);
    if (queue.size === 1) this.listener.onChannelData(this);
    this.listener.onPriorityEvent(this);
  }

  protected failChannel(error: Error): void {
    if (this.closed || this.failure !== null) return;
    this.failure = error;
    this.listener.onChannelFailed(this, error);
  }
}
