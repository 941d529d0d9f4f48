/**
 * The channel state of one unaligned checkpoint of one subtask while it is being collected
 * (Flink's ChannelStateWriter for one checkpoint): the output batches its barrier overtook,
 * taken at the snapshot, and the input batches that belong to it, added as the task reads them
 * until the last barrier arrived. Batches are kept by reference (they are immutable once
 * queued), so collecting costs no copy; the asynchronous part of the checkpoint waits for
 * {@link PendingChannelState.done} and writes them.
 */
import type { ChannelStateContent, InputChannelState } from '../checkpoint/channel-state-file.js';
import type { RecordBatch } from '../common/stream-element.js';
import { FailedPreconditionError } from '../core/errors.js';

/** Channel state of one checkpoint, complete once every input channel delivered its barrier. */
export class PendingChannelState {
  private readonly inputs = new Map<number, InputChannelState>();
  private readonly content: ChannelStateContent = { inputs: [], outputs: [] };
  private settled = false;
  private resolve!: (content: ChannelStateContent) => void;
  private reject!: (err: Error) => void;
  /** Resolves with the content once complete; rejects when the checkpoint was given up. */
  readonly done: Promise<ChannelStateContent>;

  constructor(readonly checkpointId: number) {
    this.done = new Promise<ChannelStateContent>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // Nobody may be waiting yet when it is aborted.
    this.done.catch(() => undefined);
  }

  /** A batch read from input `channel` (index over all gates) before its barrier. */
  addInput(channel: number, batch: RecordBatch): void {
    if (this.settled || batch.values.length === 0) return;
    let s = this.inputs.get(channel);
    if (!s) {
      s = { channel, batches: [] };
      this.inputs.set(channel, s);
      this.content.inputs.push(s);
    }
    s.batches.push(batch);
  }

  /** Records `from..` of a batch whose processing was interrupted when the checkpoint started. */
  addInputRemainder(channel: number, batch: RecordBatch, from: number): void {
    if (from >= batch.values.length) return;
    const timestamps = batch.timestamps ? batch.timestamps.slice(from) : null;
    this.addInput(channel, { kind: 'records', values: batch.values.slice(from), timestamps });
  }

  /** What the barrier overtook on each output (per output, per subpartition). */
  addOutputs(overtaken: RecordBatch[][][]): void {
    overtaken.forEach((subpartitions, output) =>
      subpartitions.forEach((batches, subpartition) => {
        if (batches.length > 0) this.content.outputs.push({ output, subpartition, batches });
      }),
    );
  }

  /** Every input channel delivered the barrier (or ended): the state is complete. */
  complete(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.content);
  }

  /** The checkpoint was given up: the collected batches are dropped. */
  abort(reason: string): void {
    if (this.settled) return;
    this.settled = true;
    this.inputs.clear();
    this.reject(new FailedPreconditionError(`channel state of checkpoint ${this.checkpointId} was dropped: ${reason}`));
  }
}
