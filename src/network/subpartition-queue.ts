/**
 * One subpartition of a result partition: the open buffer records are appended to, the queue
 * of closed batches and events, and the credit its consumer granted. Items leave the queue
 * only towards an attached {@link SubpartitionReader} (a local input channel or a remote
 * stream), batches only as far as credit allows. Events need no credit: they are small,
 * rare, and must never be stuck behind a consumer that waits for them (barrier alignment,
 * end of input); their order relative to batches is kept because the queue is drained
 * strictly in order.
 */
import { type ChannelItem, type CheckpointBarrierEvent, NO_TIMESTAMP, type RecordBatch } from '../common/stream-element.js';
import { describeError, FailedPreconditionError, InternalError } from '../core/errors.js';
import { FifoQueue } from './fifo-queue.js';
import { ConsumerDisconnectedError } from './network-errors.js';

/** Where a subpartition's items go: a local input channel or a remote subscription. */
export interface SubpartitionReader {
  /**
   * Hands one item to the consumer. `onDelivered` is given for end-of-partition only and is
   * called once the consumer has it (local: at once; remote: when written to the stream).
   */
  deliver(item: ChannelItem, onDelivered?: () => void): void;
  /** The producer failed or released the partition: no more items will come. */
  fail(error: Error): void;
}

/** What a subpartition reports to its partition. */
export interface SubpartitionOwner {
  readonly id: string;
  /** The backlog crossed the bound (true) or fell back within it (false). */
  onOverfullChanged(overfull: boolean): void;
  /** End-of-partition of this subpartition reached its consumer. */
  onEndDelivered(): void;
  /** The consumer went away before end-of-partition; nothing more can be delivered. */
  onConsumerLost(error: Error): void;
  /**
   * An item could not be handed to the reader (a record that cannot be serialised): the
   * producer has failed. Called from wherever delivery ran (the task, a credit message, the
   * flush timer), so it must not throw.
   */
  onDeliveryFailed(error: Error): void;
}

/** True for items that jumped the queue (unaligned barriers). */
export function isPriorityEvent(item: ChannelItem): boolean {
  return item.kind === 'barrier' && item.unaligned === true;
}

/**
 * An aligned barrier that may still time out while it waits in the queue (Flink's timeoutable
 * barrier), and whom to tell what it overtook: nothing when it went out in order.
 */
interface TimeoutableBarrier {
  readonly barrier: CheckpointBarrierEvent;
  readonly settle: (overtaken: RecordBatch[]) => void;
}

const OPEN = 0;
const ENDED = 1;
const DISCARDING = 2;

/** Producer-side state of one subpartition. */
export class SubpartitionQueue {
  /** Values of the open buffer. */
  private values: unknown[] = [];
  /** Timestamps of the open buffer; created only once a record carries one. */
  private timestamps: number[] | null = null;
  private readonly queue = new FifoQueue<ChannelItem>();
  private credit = 0;
  private reader: SubpartitionReader | null = null;
  private state = OPEN;
  private overfull = false;
  private draining = false;
  private endDelivered = false;
  /** Timeoutable aligned barriers still queued here (rarely more than one). */
  private timeoutable: TimeoutableBarrier[] = [];

  /**
   * @param owner the partition, told about backlog and delivery changes.
   * @param index the subpartition's index (= the consumer subtask).
   * @param maxRecords records per batch; 1 flushes after every record.
   * @param backlogBound queued items beyond which the producer must stop.
   */
  constructor(
    private readonly owner: SubpartitionOwner,
    readonly index: number,
    private readonly maxRecords: number,
    private readonly backlogBound: number,
  ) {}

  /** Appends a record to the open buffer; closes the buffer when it is full. */
  add(value: unknown, timestamp: number): void {
    if (this.state !== OPEN) {
      if (this.state === ENDED) throw new FailedPreconditionError(`result partition ${this.owner.id} already finished`);
      return; // released or consumer gone: the data has nowhere to go
    }
    const values = this.values;
    if (this.timestamps !== null) {
      this.timestamps.push(timestamp);
    } else if (timestamp !== NO_TIMESTAMP) {
      const ts = new Array<number>(values.length).fill(NO_TIMESTAMP);
      ts.push(timestamp);
      this.timestamps = ts;
    }
    values.push(value);
    if (values.length >= this.maxRecords) this.flush();
  }

  /** Closes the open buffer into a batch, if it holds any record. */
  flush(): void {
    if (this.values.length === 0) return;
    const batch: RecordBatch = { kind: 'records', values: this.values, timestamps: this.timestamps };
    this.values = [];
    this.timestamps = null;
    this.enqueue(batch);
  }

  /** Flushes, then enqueues an event (end-of-partition makes this subpartition final). */
  addEvent(item: ChannelItem): void {
    if (this.state !== OPEN) return;
    this.flush();
    if (item.kind === 'endOfPartition') this.state = ENDED;
    this.enqueue(item);
  }

  /**
   * Puts an unaligned barrier ahead of every queued batch (behind earlier priority events), after
   * closing the open buffer: Flink's priority event. Returns the batches it overtook, in order:
   * they still go out after it, and are the output channel state of its checkpoint.
   */
  addPriorityEvent(event: ChannelItem): RecordBatch[] {
    if (this.state !== OPEN) return [];
    this.flush();
    const queue = this.queue;
    let at = 0;
    for (let item = queue.at(0); item !== undefined && isPriorityEvent(item); item = queue.at(++at));
    const overtaken: RecordBatch[] = [];
    for (let i = at, item = queue.at(i); item !== undefined; item = queue.at(++i)) if (item.kind === 'records') overtaken.push(item);
    queue.insertAt(at, event);
    if (this.reader !== null) this.drain();
    else this.updateOverfull();
    return overtaken;
  }

  /**
   * Enqueues an aligned barrier that turns unaligned if {@link alignedBarrierTimeout} finds it
   * still queued. `settle` is called once: with no batches when the barrier left in order (or
   * the subpartition was dropped), with the batches it overtook when it timed out.
   */
  addTimeoutableBarrier(barrier: CheckpointBarrierEvent, settle: (overtaken: RecordBatch[]) => void): void {
    if (this.state !== OPEN) {
      settle([]);
      return;
    }
    this.flush();
    // Registered first: the barrier may go out at once, inside enqueue.
    this.timeoutable.push({ barrier, settle });
    this.enqueue(barrier);
  }

  /**
   * The aligned timeout of checkpoint `checkpointId` passed: if its barrier is still queued, it
   * becomes an unaligned barrier at the head of the queue (behind earlier priority events), and
   * the batches it overtook are the output channel state of the checkpoint (Flink's
   * PipelinedSubpartition#alignedBarrierTimeout). They still go out after it.
   */
  alignedBarrierTimeout(checkpointId: number): void {
    const i = this.timeoutable.findIndex((t) => t.barrier.checkpointId === checkpointId);
    if (i < 0) return;
    const { barrier, settle } = this.timeoutable[i]!;
    this.timeoutable.splice(i, 1);
    const queue = this.queue;
    let position = 0;
    while (position < queue.size && queue.at(position) !== barrier) position++;
    if (position === queue.size) {
      settle([]);
      return;
    }
    queue.removeAt(position);
    let at = 0;
    for (let item = queue.at(0); item !== undefined && at < position && isPriorityEvent(item); item = queue.at(++at));
    const overtaken: RecordBatch[] = [];
    for (let k = at; k < position; k++) {
      const item = queue.at(k)!;
      if (item.kind === 'records') overtaken.push(item);
    }
    queue.insertAt(at, { ...barrier, unaligned: true });
    settle(overtaken);
    if (this.reader !== null) this.drain();
    else this.updateOverfull();
  }

  /** Attaches the consumer with its initial credit and starts delivering. */
  attachReader(reader: SubpartitionReader, initialCredit: number): void {
    if (this.reader !== null || this.endDelivered) {
      throw new FailedPreconditionError(`subpartition ${this.index} of ${this.owner.id} already has a consumer`);
    }
    this.reader = reader;
    this.credit = initialCredit;
    this.drain();
  }

  /** The consumer returns credit for consumed batches. */
  addCredit(credit: number): void {
    this.credit += credit;
    this.drain();
  }

  /**
   * A batch went out as `extra` more frames than credits taken (split to fit the frame limit):
   * the consumer will return one credit per frame, so they are charged now.
   */
  chargeCredit(extra: number): void {
    this.credit -= extra;
  }

  /**
   * The consumer is gone. Before end-of-partition reached it, this fails the subpartition:
   * later records are dropped and the partition learns that it cannot finish.
   */
  detachReader(reader: SubpartitionReader): void {
    if (this.reader !== reader) return;
    this.reader = null;
    if (this.endDelivered || this.state === DISCARDING) return;
    const error = new ConsumerDisconnectedError(
      `consumer of subpartition ${this.index} of result partition ${this.owner.id} disconnected before end of partition`,
    );
    this.discard();
    this.owner.onConsumerLost(error);
  }

  /** Drops everything and tells the consumer that the producer failed. */
  fail(error: Error): void {
    if (this.state === DISCARDING) return;
    const reader = this.reader;
    this.reader = null;
    this.discard();
    if (reader !== null && !this.endDelivered) reader.fail(error);
  }

  private discard(): void {
    this.state = DISCARDING;
    this.values = [];
    this.timestamps = null;
    this.queue.clear();
    this.settleTimeoutable(undefined);
    this.updateOverfull();
  }

  /** A queued timeoutable barrier left in order (`item`), or every one when the queue is dropped (undefined). */
  private settleTimeoutable(item: ChannelItem | undefined): void {
    const pending = this.timeoutable;
    for (let i = 0; i < pending.length; i++) {
      const t = pending[i]!;
      if (item !== undefined && t.barrier !== item) continue;
      pending.splice(i--, 1);
      t.settle([]);
    }
  }

  private enqueue(item: ChannelItem): void {
    this.queue.push(item);
    if (this.reader !== null) this.drain();
    else this.updateOverfull();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let item: ChannelItem | undefined;
      while (this.reader !== null && (item = this.queue.peek()) !== undefined) {
        if (item.kind === 'records') {
          if (this.credit <= 0) break;
          this.credit--;
        }
        this.queue.shift();
        if (item.kind === 'barrier' && this.timeoutable.length > 0) this.settleTimeoutable(item);
        try {
          if (item.kind === 'endOfPartition') {
            this.reader.deliver(item, () => {
              this.endDelivered = true;
              this.owner.onEndDelivered();
            });
          } else {
            this.reader.deliver(item);
          }
        } catch (err) {
          // Never into a gRPC callback or a timer: the producer fails, the process stays up.
          this.owner.onDeliveryFailed(err instanceof Error ? err : new InternalError(describeError(err), { cause: err }));
          break;
        }
      }
    } finally {
      this.draining = false;
    }
    this.updateOverfull();
  }

  private updateOverfull(): void {
    const overfull = this.queue.size > this.backlogBound;
    if (overfull !== this.overfull) {
      this.overfull = overfull;
      this.owner.onOverfullChanged(overfull);
    }
  }
}
