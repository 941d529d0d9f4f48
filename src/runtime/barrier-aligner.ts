/**
 * Barrier alignment of a task with several input channels (Flink's CheckpointBarrierHandler):
 * pure bookkeeping over channel indices, no I/O. Exactly-once (aligned barriers): a channel
 * that delivered barrier n is blocked until barrier n arrived on every channel, so no record
 * after the barrier is processed before the snapshot. At-least-once: nothing is blocked, the
 * snapshot is taken when the last barrier arrives. Finished channels count as arrived; a newer
 * barrier supersedes (aborts) an older pending checkpoint; cancellation markers and aborts
 * from the coordinator give a pending checkpoint up. Barriers of checkpoints already given up
 * or completed are ignored.
 *
 * Unaligned barriers (Flink's SingleCheckpointBarrierHandler with an unaligned barrier): the
 * first barrier of a checkpoint starts it at once, nothing is blocked, and until a channel
 * delivered its barrier (or ended) the records read from it are in flight: the task persists
 * them as channel state ({@link BarrierAligner.isPersisting}); once every channel delivered it,
 * the channel state is complete. An aligned barrier with `alignedTimeoutMs` starts aligned and
 * turns unaligned when the timeout (counted from the checkpoint's trigger) passes, at its first
 * barrier or later ({@link BarrierAligner.checkTimeout}), or when an unaligned barrier of it
 * arrives (one that timed out in an upstream output queue): the blocked channels are released.
 */
import type { CheckpointBarrierEvent } from '../common/stream-element.js';

/** Blocks and unblocks channels (the task's input gates). */
export interface ChannelBlocker {
  block(channel: number): void;
  unblock(channel: number): void;
}

/**
 * A checkpoint to snapshot now, before reading on: aligned (its barriers arrived on every
 * channel) or unaligned (its first barrier arrived, or the aligned timeout passed).
 */
export interface AlignedCheckpoint {
  /** The barrier to forward: unaligned when the checkpoint is (also after a timeout switch). */
  barrier: CheckpointBarrierEvent;
  /** ms from the first barrier to the last one (aligned), or to the snapshot (unaligned). */
  alignmentMs: number;
  /** Unaligned: in-flight records are persisted until {@link AlignmentOutcome.channelStateComplete}. */
  unaligned: boolean;
}

/** A checkpoint given up by this task. */
export interface AbortedCheckpoint {
  checkpointId: number;
  reason: string;
}

/** What one input event changed. */
export interface AlignmentOutcome {
  /** Pending checkpoint given up (superseded or cancelled); reported before {@link aligned}. */
  aborted?: AbortedCheckpoint;
  /** Checkpoint to snapshot now. */
  aligned?: AlignedCheckpoint;
  /** Unaligned checkpoint whose barriers all arrived: its channel state is complete (after {@link aligned}). */
  channelStateComplete?: number;
}

const NOTHING: AlignmentOutcome = Object.freeze({});

/** Aligns the barriers of one task's input channels. */
export class BarrierAligner {
  private readonly arrived: boolean[];
  private readonly finished: boolean[];
  private pending: CheckpointBarrierEvent | undefined;
  /** The pending checkpoint was snapshot already (unaligned): only its channel state is open. */
  private unaligned = false;
  private startedAt = 0;
  /** Highest checkpoint id completed or given up: its (and older) barriers are ignored. */
  private lastHandled = 0;

  constructor(
    readonly numberOfChannels: number,
    private readonly channels: ChannelBlocker,
    private readonly now: () => number = Date.now,
  ) {
    this.arrived = new Array<boolean>(numberOfChannels).fill(false);
    this.finished = new Array<boolean>(numberOfChannels).fill(false);
  }

  /** The checkpoint being aligned, if any. */
  get pendingCheckpointId(): number | undefined {
    return this.pending?.checkpointId;
  }

  /** True while `channel` is held back for alignment. */
  isBlocked(channel: number): boolean {
    return this.pending !== undefined && this.pending.aligned && !this.unaligned && this.arrived[channel] === true;
  }

  /** True while records read from `channel` belong to the channel state of an unaligned checkpoint. */
  isPersisting(channel: number): boolean {
    return this.unaligned && !this.arrived[channel] && !this.finished[channel];
  }

  /** When a pending aligned checkpoint turns unaligned (ms since epoch, the `now` clock), if it may. */
  get alignmentDeadline(): number | undefined {
    const p = this.pending;
    if (!p || this.unaligned || p.alignedTimeoutMs === undefined) return undefined;
    return p.timestamp + p.alignedTimeoutMs;
  }

  /** The aligned timeout of the pending checkpoint passed: it turns unaligned and is snapshot now. */
  checkTimeout(): AlignmentOutcome {
    const deadline = this.alignmentDeadline;
    if (deadline === undefined || this.now() < deadline) return NOTHING;
    return { aligned: this.startUnaligned() };
  }

  /** Barrier `barrier` arrived on `channel`. */
  onBarrier(channel: number, barrier: CheckpointBarrierEvent): AlignmentOutcome {
    const id = barrier.checkpointId;
    if (id <= this.lastHandled) return NOTHING;
    let aborted: AbortedCheckpoint | undefined;
    if (this.pending && id > this.pending.checkpointId) {
      aborted = this.giveUp(`superseded by checkpoint ${id}`);
    } else if (this.pending && id < this.pending.checkpointId) {
      return NOTHING;
    }
    let started: AlignedCheckpoint | undefined;
    if (!this.pending) {
      this.pending = barrier;
      this.startedAt = this.now();
      this.arrived.fill(false);
      this.arrived[channel] = true;
      const timedOut = barrier.alignedTimeoutMs !== undefined && this.startedAt >= barrier.timestamp + barrier.alignedTimeoutMs;
      if (barrier.unaligned === true || timedOut) started = this.startUnaligned();
      else if (barrier.aligned) this.channels.block(channel);
    } else if (!this.arrived[channel]) {
      // An upstream task's barrier timed out in its output queue and overtook it: the
      // checkpoint turns unaligned here too, and what that barrier overtook in this channel
      // belongs to it.
      if (barrier.unaligned === true && !this.unaligned) started = this.startUnaligned();
      this.arrived[channel] = true;
      if (this.pending.aligned && !this.unaligned) this.channels.block(channel);
    }
    if (this.unaligned) {
      const complete = this.completeIfAllArrived();
      if (!aborted && !started && complete === undefined) return NOTHING;
      return { aborted, aligned: started, channelStateComplete: complete };
    }
    const aligned = this.completeIfAligned();
    return aborted || aligned ? { aborted, aligned } : NOTHING;
  }

  /** The pending checkpoint turns unaligned: blocked channels go free, its snapshot is due now. */
  private startUnaligned(): AlignedCheckpoint {
    const pending = this.pending!;
    for (let i = 0; i < this.numberOfChannels; i++) if (this.arrived[i] && pending.aligned && !this.unaligned) this.channels.unblock(i);
    this.unaligned = true;
    const barrier: CheckpointBarrierEvent = pending.unaligned === true ? pending : { ...pending, unaligned: true };
    this.pending = barrier;
    return { barrier, alignmentMs: Math.max(0, this.now() - this.startedAt), unaligned: true };
  }

  /** Unaligned: ends the checkpoint once every channel delivered its barrier or ended. */
  private completeIfAllArrived(): number | undefined {
    const pending = this.pending!;
    for (let i = 0; i < this.numberOfChannels; i++) if (!this.arrived[i] && !this.finished[i]) return undefined;
    this.release();
    this.lastHandled = pending.checkpointId;
    return pending.checkpointId;
  }

  /** `channel` delivered end-of-partition: it counts as arrived for every later checkpoint. */
  onEndOfPartition(channel: number): AlignmentOutcome {
    this.finished[channel] = true;
    if (this.pending && this.unaligned) {
      const complete = this.completeIfAllArrived();
      return complete === undefined ? NOTHING : { channelStateComplete: complete };
    }
    const aligned = this.completeIfAligned();
    return aligned ? { aligned } : NOTHING;
  }

  /** A cancellation marker of `checkpointId` arrived (upstream gave it up). */
  onCancelCheckpoint(checkpointId: number): AlignmentOutcome {
    if (checkpointId <= this.lastHandled) return NOTHING;
    if (this.pending && checkpointId < this.pending.checkpointId) return NOTHING;
    if (this.pending && checkpointId === this.pending.checkpointId) {
      return { aborted: this.giveUp(`checkpoint ${checkpointId} was cancelled upstream`) };
    }
    // Not started here yet (or a newer one supersedes the pending one): drop its barriers.
    const aborted = this.pending ? this.giveUp(`superseded by the cancellation of checkpoint ${checkpointId}`) : undefined;
    this.lastHandled = checkpointId;
    return { aborted: aborted ?? { checkpointId, reason: `checkpoint ${checkpointId} was cancelled upstream` } };
  }

  /**
   * The coordinator aborted `checkpointId`: a pending alignment of it (or an older one) ends
   * and its late barriers are ignored. Returns what was given up, if anything was pending.
   */
  abort(checkpointId: number, reason: string): AbortedCheckpoint | undefined {
    if (checkpointId <= this.lastHandled) return undefined;
    if (this.pending && this.pending.checkpointId <= checkpointId) {
      const aborted = this.giveUp(reason);
      this.lastHandled = checkpointId;
      return aborted;
    }
    if (!this.pending) this.lastHandled = checkpointId;
    return undefined;
  }

  private completeIfAligned(): AlignedCheckpoint | undefined {
    const pending = this.pending;
    if (!pending) return undefined;
    for (let i = 0; i < this.numberOfChannels; i++) if (!this.arrived[i] && !this.finished[i]) return undefined;
    const alignmentMs = Math.max(0, this.now() - this.startedAt);
    this.release();
    this.lastHandled = pending.checkpointId;
    return { barrier: pending, alignmentMs, unaligned: false };
  }

  private giveUp(reason: string): AbortedCheckpoint {
    const checkpointId = this.pending!.checkpointId;
    this.release();
    this.lastHandled = Math.max(this.lastHandled, checkpointId);
    return { checkpointId, reason };
  }

  /** Ends the pending alignment and unblocks what it blocked. */
  private release(): void {
    const pending = this.pending;
    const unaligned = this.unaligned;
    this.pending = undefined;
    this.unaligned = false;
    if (!pending) return;
    for (let i = 0; i < this.numberOfChannels; i++) {
      if (this.arrived[i] && pending.aligned && !unaligned) this.channels.unblock(i);
      this.arrived[i] = false;
    }
  }
}
