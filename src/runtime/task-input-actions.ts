/**
 * A task's input processing as the default action of its {@link Mailbox} (Flink's
 * `StreamTask#processInput`): each call is one bounded slice, by record count and by time, of
 * either a source reader's records ({@link SourceInputAction}) or the items of the input gates
 * ({@link NetworkInputAction}). Before taking input, a slice fires due timers within its
 * budget; a result partition without credit suspends the action until it is available again
 * (that is how backpressure reaches the sources), and timers still pending from a watermark
 * keep new input out until they all fired.
 */
import { performance } from 'node:perf_hooks';
import { untilWoken, type MailboxController, type MailboxDefaultAction } from './mailbox.js';
import type { SourceOperator } from './operators/source-operator.js';
import type { InputAvailability } from './stream-operator.js';
import type { TaskCheckpointing } from './task-checkpointing.js';
import type { TaskInputProcessor } from './task-input-processor.js';
import { SLICE_MILLIS, type TimerSlicing } from './timer-slicing.js';

/** Records a source reader may emit per poll. */
const SOURCE_POLL_RECORDS = 256;
/** Records processed per mailbox slice before yielding. */
export const RECORDS_PER_SLICE = 2048;

/** Something a task writes to that can be full: a result partition, a sink writer. */
export interface OutputGate {
  isAvailable(): boolean;
  whenAvailable(): Promise<void>;
}

/** The output side of a task, as its input actions see it. */
export class TaskOutputs {
  /** True when some output partition or operator cannot take more data now (bound once, read per slice). */
  readonly backpressured = (): boolean => this.blockedPartition() !== undefined || this.blockedOperator() !== undefined;

  constructor(
    private readonly partitions: readonly OutputGate[],
    /** Operators of the chain that stop taking input while busy (async I/O at capacity). */
    private readonly operators: readonly InputAvailability[] = [],
  ) {}

  /** The first operator of the chain that takes no more input now, if any. */
  blockedOperator(): InputAvailability | undefined {
    for (const o of this.operators) if (!o.isAvailable()) return o;
    return undefined;
  }

  /** The first output partition that cannot take more data now, if any. */
  blockedPartition(): OutputGate | undefined {
    for (const p of this.partitions) if (!p.isAvailable()) return p;
    return undefined;
  }
}

/** What both input actions do at the start of a slice: its deadline, or undefined when the slice ends there. */
function beginSlice(timers: TimerSlicing, outputs: TaskOutputs, controller: MailboxController): number | undefined {
  const deadline = performance.now() + SLICE_MILLIS;
  timers.beginSlice(deadline);
  const blocked = outputs.blockedPartition() ?? outputs.blockedOperator();
  if (blocked) {
    controller.suspendDefaultAction(blocked.whenAvailable(), true);
    return undefined;
  }
  // Timers of a watermark already received fire before any later input is taken.
  if (timers.resumePending()) {
    // Waiting for timers loaded from the state backend: the loop sleeps until they are in.
    const load = timers.pendingLoad();
    if (load) controller.suspendDefaultAction(load, false);
    return undefined;
  }
  return deadline;
}

/** Reads a source task's records: polls its reader, slice by slice, until end of input. */
export class SourceInputAction implements MailboxDefaultAction {
  constructor(
    private readonly source: SourceOperator,
    private readonly timers: TimerSlicing,
    private readonly outputs: TaskOutputs,
    private readonly checkpointing: TaskCheckpointing,
    /** Whether the job checkpoints (then a final checkpoint precedes the end). */
    private readonly checkpointingEnabled: boolean,
  ) {}

  async runDefaultAction(controller: MailboxController): Promise<void> {
    const deadline = beginSlice(this.timers, this.outputs, controller);
    if (deadline === undefined) return;
    const step = this.checkpointing.sourceStep();
    if (step === 'end') return controller.allActionsCompleted();
    if (step === 'wait') return controller.suspendDefaultAction(untilWoken(), false);
    const { source, outputs } = this;
    let records = 0;
    let status = 'MORE_AVAILABLE';
    while (records < RECORDS_PER_SLICE && status === 'MORE_AVAILABLE' && !outputs.backpressured() && performance.now() < deadline) {
      status = source.pollNext(SOURCE_POLL_RECORDS);
      records += SOURCE_POLL_RECORDS;
    }
    if (status === 'END_OF_INPUT') {
      source.endInput();
      // The maximal watermark's timers fire (over slices) before the final checkpoint.
      await this.timers.drain(() => outputs.blockedPartition());
      if (!this.checkpointingEnabled) return controller.allActionsCompleted();
      this.checkpointing.awaitFinalCheckpoint();
      return;
    }
    if (status === 'NOTHING_AVAILABLE') controller.suspendDefaultAction(source.isAvailable(), false);
  }
}

/** Reads a task's input gates through its {@link TaskInputProcessor}, slice by slice. */
export class NetworkInputAction implements MailboxDefaultAction {
  constructor(
    private readonly inputs: TaskInputProcessor,
    private readonly timers: TimerSlicing,
    private readonly outputs: TaskOutputs,
    private readonly checkpointing: TaskCheckpointing,
  ) {}

  async runDefaultAction(controller: MailboxController): Promise<void> {
    const inputs = this.inputs;
    const blocked = this.outputs.blockedPartition();
    if (blocked) {
      // Unaligned barriers do not wait for output credit: the snapshot sends them ahead of it.
      if (inputs.takeUrgentEvents()) return this.checkpointing.afterSlice();
      controller.suspendDefaultAction(Promise.race([blocked.whenAvailable(), inputs.whenUrgent()]), true);
      return;
    }
    const deadline = beginSlice(this.timers, this.outputs, controller);
    if (deadline === undefined) return;
    const processed = inputs.processSlice(RECORDS_PER_SLICE, this.outputs.backpressured, Math.max(0, deadline - performance.now()));
    await this.checkpointing.afterSlice();
    if (inputs.isFinished) return controller.allActionsCompleted();
    if (processed === 0) controller.suspendDefaultAction(inputs.whenAvailable(), false);
  }
}
