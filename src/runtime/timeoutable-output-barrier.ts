/**
 * Timeoutable aligned barriers on a task's outputs (Flink FLIP-182,
 * `execution.checkpointing.aligned-checkpoint-timeout`; SubtaskCheckpointCoordinatorImpl's
 * alignment timer). An aligned barrier with `alignedTimeoutMs` goes out behind the records
 * queued before it; if it is still queued in an output subpartition when the timeout (counted
 * from the checkpoint's trigger) passes, it turns into an unaligned barrier at the head of that
 * queue, and the batches it overtook become the subtask's output channel state, written with
 * the checkpoint as for a barrier that started unaligned. The channel state is complete once
 * every subpartition either sent the barrier in order or converted it, so the acknowledgment
 * waits for that, at most until the timeout.
 */
import type { CheckpointBarrierEvent, RecordBatch } from '../common/stream-element.js';
import { describeError } from '../core/errors.js';
import { PendingChannelState } from './pending-channel-state.js';

/** The outputs of a chain, as the timer needs them. */
export interface TimeoutableOutputs {
  broadcastTimeoutableBarrier(barrier: CheckpointBarrierEvent): Promise<RecordBatch[][][]>;
  alignedBarrierTimeout(checkpointId: number): void;
}

/** True for an aligned barrier that turns unaligned once its timeout passed. */
export function isTimeoutable(barrier: CheckpointBarrierEvent): boolean {
  return barrier.aligned && barrier.unaligned !== true && barrier.alignedTimeoutMs !== undefined && barrier.savepoint !== true;
}

/** One timeoutable barrier sent on a chain's outputs. */
export interface SentTimeoutableBarrier {
  /** The output channel state: what the barrier overtook where it timed out (often nothing). */
  readonly channelState: PendingChannelState;
  /** The checkpoint was given up: no conversion any more, the channel state is dropped. */
  cancel(reason: string): void;
}

/**
 * Sends `barrier` on every output and arms its timer (at `timestamp + alignedTimeoutMs` on the
 * `now` clock, at once when that passed already).
 */
export function sendTimeoutableBarrier(outputs: TimeoutableOutputs, barrier: CheckpointBarrierEvent, now: () => number = Date.now): SentTimeoutableBarrier {
  const { checkpointId } = barrier;
  const channelState = new PendingChannelState(checkpointId);
  const settled = outputs.broadcastTimeoutableBarrier(barrier);
  const delay = Math.max(0, barrier.timestamp + barrier.alignedTimeoutMs! - now());
  let timer: NodeJS.Timeout | undefined = setTimeout(() => {
    timer = undefined;
    outputs.alignedBarrierTimeout(checkpointId);
  }, delay);
  // A finished or failed task does not wait for it; a task that stopped early gets no conversion.
  timer.unref();
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  settled.then(
    (overtaken) => {
      stop();
      channelState.addOutputs(overtaken);
      channelState.complete();
    },
    (err: unknown) => {
      stop();
      channelState.abort(`sending its barrier failed: ${describeError(err)}`);
    },
  );
  return {
    channelState,
    cancel(reason: string): void {
      stop();
      channelState.abort(reason);
    },
  };
}
