/**
 * Barrier alignment of a task with several input channels (Flink's CheckpointBarrierHandler):
 * pure bookkeeping over channel indices, no I/O. Exactly-once (aligned barriers): a channel
 * that delivered barrier n is blocked until barrier n arrived on every channel, so no record
 * after the barrier is processed before the snapshot. At-least-once: nothing is blocked, the
 * snapshot is taken when the last barrier arrives. Finished channels count as arrived; a newer
 * barrier supersedes (aborts) an older pending checkpoint; cancellation markers and aborts
 * from the coordinator give a pending checkpoint up. Barriers of checkpoints already given up
 * or completed are ignored.
 */
import type { CheckpointBarrierEvent } from '../common/stream-element.js';

/** Blocks and unblocks channels (the task's input gates). */
export interface ChannelBlocker {
  block(channel: number): void;
  unblock(channel: number): void;
}

/** A checkpoint whose barriers arrived on every channel: snapshot now, before reading on. */
export interface AlignedCheckpoint {
  barrier: CheckpointBarrierEvent;
  /** ms from the first barrier to the last one. */
  alignmentMs: number;
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
  /** Checkpoint whose alignment just completed. */
  aligned?: AlignedCheckpoint;
}

const NOTHING: AlignmentOutcome = Object.freeze({});

/** Aligns the barriers of one task's input channels. */
export class BarrierAligner {
  private readonly arrived: boolean[];
  private readonly finished: boolean[];
  private pending: CheckpointBarrierEvent | undefined;
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
    return this.pending !== undefined && this.pending.aligned && this.arrived[channel] === true;
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
    if (!this.pending) {
      this.pending = barrier;
      this.startedAt = this.now();
      this.arrived.fill(false);
    }
    if (!this.arrived[channel]) {
      this.arrived[channel] = true;
      if (this.pending.aligned) this.channels.block(channel);
    }
    const aligned = this.completeIfAligned();
    return aborted || aligned ? { aborted, aligned } : NOTHING;
  }

  /** `channel` delivered end-of-partition: it counts as arrived for every later checkpoint. */
  onEndOfPartition(channel: number): AlignmentOutcome {
    this.finished[channel] = true;
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
    return { barrier: pending, alignmentMs };
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
    this.pending = undefined;
    if (!pending) return;
    for (let i = 0; i < this.numberOfChannels; i++) {
      if (this.arrived[i] && pending.aligned) this.channels.unblock(i);
      this.arrived[i] = false;
    }
  }
}
