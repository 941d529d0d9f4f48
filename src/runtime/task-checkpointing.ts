/**
 * The checkpoint and finishing state of one task: triggers (sources), aligned barriers,
 * completion and abort notifications, the final checkpoint at end of input (Flink's FLIP-147)
 * and stop-with-savepoint. Work from RPCs is posted to the task's {@link Mailbox} and runs between
 * two slices; the synchronous part of a snapshot is awaited by the mailbox (no record is
 * processed meanwhile), notifications run outside it, and their failures fail the task at its
 * next turn. The task's input actions ask this object what to do next (produce, wait, end); the
 * task itself only posts to it and reads whether it is finishing.
 */
import type { CheckpointRequest } from '../checkpoint/checkpoint-types.js';
import { describeError, InternalError } from '../core/errors.js';
import type { CheckpointBarrierEvent } from '../common/stream-element.js';
import type { AbortedCheckpoint } from './barrier-aligner.js';
import type { CheckpointToTake } from './task-input-processor.js';
import type { Mailbox } from './mailbox.js';
import type { OperatorChain } from './operator-chain.js';
import type { SubtaskCheckpointCoordinator } from './subtask-checkpoint-coordinator.js';

/** The checkpoint side of a task's network input (a {@link TaskInputProcessor}). */
export interface CheckpointedInput {
  /** Set after the savepoint of a stop-with-savepoint without drain (see TaskInputProcessor). */
  suppressFinalWatermark: boolean;
  /** Checkpoints given up by the last slice (superseded, cancelled upstream). */
  takeAbortedCheckpoints(): AbortedCheckpoint[];
  /** The checkpoint whose barriers all arrived in the last slice, taken once. */
  takeAlignedCheckpoint(): CheckpointToTake | undefined;
  /** Ends a pending alignment of `checkpointId`; returns it when one was pending. */
  abortCheckpoint(checkpointId: number, reason: string): AbortedCheckpoint | undefined;
}

/** What a source does in its next slice. */
export type SourceStep = 'produce' | 'wait' | 'end';

/** Checkpoint work and finishing state of one task. */
export class TaskCheckpointing {
  /** Set once the loop stopped reading input: checkpoints triggered later are declined. */
  private ended = false;
  /**
   * The stop-with-savepoint this task took part in, until it completes (`confirmed`: a source
   * then ends its input) or is aborted (a source then produces again).
   */
  private stopping: { checkpointId: number; drain: boolean; confirmed: boolean } | undefined;
  /** The highest checkpoint id this task was triggered with so far (a source). */
  private highestTakenId = 0;
  /**
   * Set when a source reached the end of its input with checkpointing on: it waits for its final
   * checkpoint, one it took after that end, and finishes once notified of one (`confirmed`).
   * Those are the ids above `before` (the highest it took until the end) and the lower ones it
   * took since (`late`): a notification of a higher id alone does not tell, as a trigger may
   * arrive after a later one, and a checkpoint taken before the end does not cover the end.
   */
  private finalCheckpoint: { before: number; late: Set<number>; confirmed: boolean } | undefined;

  constructor(
    private readonly taskName: string,
    private readonly chain: OperatorChain,
    private readonly checkpointer: SubtaskCheckpointCoordinator,
    private readonly mailbox: Mailbox,
    private readonly inputs: CheckpointedInput | undefined,
    /** Told when a source starts waiting for its final checkpoint. */
    private readonly onAwaitingFinalCheckpoint: () => void = () => {},
  ) {}

  /** True once the task stopped reading input (it only finishes from now on). */
  get inputEnded(): boolean {
    return this.ended;
  }

  /** The task stopped reading input: late triggers are declined, notifications still run. */
  endOfInput(): void {
    this.ended = true;
  }

  /** Checkpoint `checkpointId` completed: operators (two-phase-commit sinks) are told in the mailbox. */
  notifyComplete(checkpointId: number): void {
    if (this.stopping && checkpointId >= this.stopping.checkpointId) this.stopping.confirmed = true;
    const final = this.finalCheckpoint;
    if (final && (checkpointId > final.before || final.late.has(checkpointId))) final.confirmed = true;
    this.detach(this.chain.notifyCheckpointComplete(checkpointId));
  }

  /** Checkpoint `checkpointId` was aborted: a pending alignment ends, no ack goes out for it. */
  notifyAborted(checkpointId: number): void {
    this.stopAborted(checkpointId);
    const given = this.inputs?.abortCheckpoint(checkpointId, `checkpoint ${checkpointId} was aborted`);
    // Downstream tasks may still be aligning it: release them too.
    if (given) this.chain.broadcastEvent({ kind: 'cancelCheckpoint', checkpointId: given.checkpointId });
    this.checkpointer.abort(checkpointId);
    this.detach(this.chain.notifyCheckpointAborted(checkpointId));
  }

  /**
   * What a source does next: produce, wait (serving mail) for the final checkpoint or the
   * savepoint of a stop, or end its input (the savepoint of a stop completed: the source is
   * stopped here; the final checkpoint completed).
   */
  sourceStep(): SourceStep {
    const final = this.finalCheckpoint;
    if (final) return final.confirmed ? 'end' : 'wait';
    const stopping = this.stopping;
    if (!stopping) return 'produce';
    // Stop-with-savepoint: nothing is produced after its barrier; the input ends once the
    // savepoint completed, or production resumes if it was aborted.
    if (!stopping.confirmed) return 'wait';
    this.chain.source?.stopInput(stopping.drain);
    return 'end';
  }

  /**
   * The source reached the end of its input with checkpointing on: everything emitted so far,
   * the maximal watermark included, goes into one more checkpoint before it finishes, so
   * two-phase-commit sinks commit the end of a bounded job under a checkpoint.
   */
  awaitFinalCheckpoint(): void {
    this.finalCheckpoint = { before: this.highestTakenId, late: new Set(), confirmed: false };
    this.onAwaitingFinalCheckpoint();
  }

  /** Handles what the last slice of network input changed: given-up checkpoints, an aligned one. */
  async afterSlice(): Promise<void> {
    const inputs = this.inputs!;
    for (const a of inputs.takeAbortedCheckpoints()) {
      this.stopAborted(a.checkpointId);
      // An unaligned one may have been snapshot already: its asynchronous part stops, silently.
      this.checkpointer.abort(a.checkpointId);
      this.checkpointer.decline(a.checkpointId, a.reason);
      this.chain.broadcastEvent({ kind: 'cancelCheckpoint', checkpointId: a.checkpointId });
      this.detach(this.chain.notifyCheckpointAborted(a.checkpointId));
    }
    const aligned = inputs.takeAlignedCheckpoint();
    if (!aligned) return;
    const { barrier } = aligned;
    if (barrier.stop) {
      // The inputs end after this savepoint; without drain they end without the maximal watermark.
      this.stopping = { checkpointId: barrier.checkpointId, drain: barrier.drain === true, confirmed: false };
      inputs.suppressFinalWatermark = barrier.drain !== true;
    }
    await this.mailbox.race(this.checkpointer.checkpoint(barrier, aligned.alignmentMs, false, aligned.channelState));
  }

  /** Takes checkpoint `request` at this source task (run as mail, between two slices). */
  async triggerCheckpoint(request: CheckpointRequest): Promise<void> {
    const { checkpointId, timestamp, savepoint, aligned, targetDir } = request;
    const alignment = request.unaligned ? { unaligned: true } : request.alignedTimeoutMs !== undefined ? { alignedTimeoutMs: request.alignedTimeoutMs } : {};
    if (this.ended) {
      this.checkpointer.decline(checkpointId, `checkpoint ${checkpointId} cannot be taken: ${this.taskName} is finishing`);
      return;
    }
    const stop = request.stop === true;
    const drain = stop && request.drain === true;
    // Drain: windows fire before the barrier, so their results belong to the savepoint.
    if (drain) this.chain.source?.drainWatermark();
    const barrier: CheckpointBarrierEvent = stop
      ? { kind: 'barrier', checkpointId, timestamp, savepoint, aligned, targetDir, stop, drain }
      : { kind: 'barrier', checkpointId, timestamp, savepoint, aligned, targetDir, ...alignment };
    const final = this.finalCheckpoint;
    if (final && checkpointId <= final.before) final.late.add(checkpointId);
    this.highestTakenId = Math.max(this.highestTakenId, checkpointId);
    await this.mailbox.race(this.checkpointer.checkpoint(barrier, 0, final !== undefined));
    if (stop) this.stopping = { checkpointId, drain, confirmed: false };
  }

  /** A stop-with-savepoint that failed: the job goes on, so inputs end as usual again. */
  private stopAborted(checkpointId: number): void {
    if (this.stopping?.checkpointId !== checkpointId) return;
    this.stopping = undefined;
    if (this.inputs) this.inputs.suppressFinalWatermark = false;
  }

  /** Lets `work` run outside the mailbox; its failure fails the task at the next turn. */
  private detach(work: Promise<void>): void {
    work.catch((err: unknown) => this.mailbox.fail(err instanceof Error ? err : new InternalError(describeError(err), { cause: err })));
  }
}
