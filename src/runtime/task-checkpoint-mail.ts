/**
 * The checkpoint work of a task's mailbox: triggers (sources), aligned barriers, completion and
 * abort notifications, queued from RPCs and run by the task's loop between two slices. The
 * synchronous part of a snapshot is awaited by the loop (no record is processed meanwhile);
 * notifications run outside it, and their failures fail the task at its next turn.
 */
import type { CheckpointRequest } from '../checkpoint/checkpoint-types.js';
import { describeError } from '../core/errors.js';
import type { OperatorChain } from './operator-chain.js';
import type { CheckpointBarrierEvent } from '../common/stream-element.js';
import type { SubtaskCheckpointCoordinator } from './subtask-checkpoint-coordinator.js';
import type { TaskInputProcessor } from './task-input-processor.js';

/** Work the mailbox runs between two slices. */
type Mail =
  | { kind: 'trigger'; request: CheckpointRequest }
  | { kind: 'complete'; checkpointId: number }
  | { kind: 'abort'; checkpointId: number };

/** What the mail needs from its task. */
export interface CheckpointMailHost {
  readonly taskName: string;
  readonly chain: OperatorChain;
  readonly checkpointer: SubtaskCheckpointCoordinator;
  readonly inputProcessor: TaskInputProcessor | undefined;
  /** Awaits `p` unless the task is canceled meanwhile (then throws). */
  race(p: Promise<void>): Promise<unknown>;
  /** Wakes the task's loop. */
  signal(): void;
}

/** Queued checkpoint work of one task. */
export class TaskCheckpointMail {
  private readonly queue: Mail[] = [];
  /** Set once the loop stopped reading input: checkpoints triggered later are declined. */
  inputEnded = false;
  /** A failure of work running outside the mailbox (a sink's commit), raised by the loop. */
  failure: Error | undefined;
  /**
   * The stop-with-savepoint this task took part in, until it completes (`confirmed`: a source
   * then ends its input) or is aborted (a source then produces again).
   */
  stopping: { checkpointId: number; drain: boolean; confirmed: boolean } | undefined;

  /**
   * Set when a source reached the end of its input with checkpointing on: it waits for its final
   * checkpoint (`takenId`: the first one it took since), and finishes once `confirmed`.
   */
  finalCheckpoint: { takenId: number | undefined; confirmed: boolean } | undefined;

  constructor(private readonly host: () => CheckpointMailHost | undefined) {}

  /** True when mail is waiting. */
  get hasMail(): boolean {
    return this.queue.length > 0;
  }

  /** Queues `mail` and wakes the loop. */
  post(mail: Mail): void {
    this.queue.push(mail);
    this.host()?.signal();
  }

  /** Runs queued mail (between two slices). */
  async run(): Promise<void> {
    const host = this.host();
    if (!host) return;
    const { chain, checkpointer } = host;
    while (this.queue.length > 0) {
      const mail = this.queue.shift()!;
      if (mail.kind === 'trigger') {
        const { checkpointId, timestamp, savepoint, aligned, targetDir } = mail.request;
        if (this.inputEnded) {
          checkpointer.decline(checkpointId, `checkpoint ${checkpointId} cannot be taken: ${host.taskName} is finishing`);
          continue;
        }
        const stop = mail.request.stop === true;
        const drain = stop && mail.request.drain === true;
        // Drain: windows fire before the barrier, so their results belong to the savepoint.
        if (drain) chain.source?.drainWatermark();
        const barrier: CheckpointBarrierEvent = stop
          ? { kind: 'barrier', checkpointId, timestamp, savepoint, aligned, targetDir, stop, drain }
          : { kind: 'barrier', checkpointId, timestamp, savepoint, aligned, targetDir };
        const final = this.finalCheckpoint;
        if (final) final.takenId ??= checkpointId;
        await host.race(checkpointer.checkpoint(barrier, 0, final !== undefined));
        if (stop) this.stopping = { checkpointId, drain, confirmed: false };
      } else if (mail.kind === 'complete') {
        if (this.stopping && mail.checkpointId >= this.stopping.checkpointId) this.stopping.confirmed = true;
        const final = this.finalCheckpoint;
        if (final?.takenId !== undefined && mail.checkpointId >= final.takenId) final.confirmed = true;
        this.detach(chain.notifyCheckpointComplete(mail.checkpointId));
      } else {
        this.stopAborted(mail.checkpointId);
        const given = host.inputProcessor?.abortCheckpoint(mail.checkpointId, `checkpoint ${mail.checkpointId} was aborted`);
        // Downstream tasks may still be aligning it: release them too.
        if (given) chain.broadcastEvent({ kind: 'cancelCheckpoint', checkpointId: given.checkpointId });
        checkpointer.abort(mail.checkpointId);
        this.detach(chain.notifyCheckpointAborted(mail.checkpointId));
      }
    }
  }

  /** Handles what the last slice of input changed: given-up checkpoints, an aligned one. */
  async afterSlice(inputs: TaskInputProcessor): Promise<void> {
    const host = this.host()!;
    for (const a of inputs.takeAbortedCheckpoints()) {
      this.stopAborted(a.checkpointId);
      host.checkpointer.decline(a.checkpointId, a.reason);
      host.chain.broadcastEvent({ kind: 'cancelCheckpoint', checkpointId: a.checkpointId });
      this.detach(host.chain.notifyCheckpointAborted(a.checkpointId));
    }
    const aligned = inputs.takeAlignedCheckpoint();
    if (!aligned) return;
    const { barrier } = aligned;
    if (barrier.stop) {
      // The inputs end after this savepoint; without drain they end without the maximal watermark.
      this.stopping = { checkpointId: barrier.checkpointId, drain: barrier.drain === true, confirmed: false };
      inputs.suppressFinalWatermark = barrier.drain !== true;
    }
    await host.race(host.checkpointer.checkpoint(barrier, aligned.alignmentMs));
  }

  /** A stop-with-savepoint that failed: the job goes on, so inputs end as usual again. */
  private stopAborted(checkpointId: number): void {
    if (this.stopping?.checkpointId !== checkpointId) return;
    this.stopping = undefined;
    const inputs = this.host()?.inputProcessor;
    if (inputs) inputs.suppressFinalWatermark = false;
  }

  /** Lets `work` run outside the mailbox; its failure fails the task at the next turn. */
  private detach(work: Promise<void>): void {
    work.catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(describeError(err));
      this.host()?.signal();
    });
  }
}
