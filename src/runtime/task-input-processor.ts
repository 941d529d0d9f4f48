/**
 * Reads a task's input gates: hands records to the operator each gate feeds, combines channel
 * watermarks per logical input ({@link WatermarkValve}), and ends an input once all of its
 * channels delivered end-of-partition. Idleness of a whole input (every channel idle) is passed
 * on to the operator, which forwards it downstream. Checkpoint barriers and cancellation
 * markers go to a {@link BarrierAligner} over all channels of all gates: once a checkpoint is
 * aligned the slice ends at once, so the task snapshots before any later record is processed.
 * Unaligned barriers jump the queues: each slice first takes them from every gate; from the first
 * one on, the records read from channels whose barrier is still to come (and the rest of a batch
 * interrupted at the snapshot, and what a barrier overtook in its channel) go into the
 * checkpoint's {@link PendingChannelState}. Restored input channel state is replayed before
 * anything else is read.
 */
import { BarrierAligner, type AbortedCheckpoint, type AlignedCheckpoint, type AlignmentOutcome } from './barrier-aligner.js';
import type { JobVertex } from '../common/job-graph.js';
import type { InputGate } from '../network/shuffle-types.js';
import { performance } from 'node:perf_hooks';
import { NO_TIMESTAMP, type CheckpointBarrierEvent, type RecordBatch } from '../common/stream-element.js';
import type { StreamOperator } from './stream-operator.js';
import { WatermarkValve } from './watermark-valve.js';
import { InternalError } from '../core/errors.js';
import type { InputChannelState } from '../checkpoint/channel-state-file.js';
import type { GateItem } from '../network/shuffle-types.js';
import { PendingChannelState } from './pending-channel-state.js';
import { gateChannelBlocker } from './gate-channel-blocker.js';

/** A checkpoint to take now, with the channel state it collects when unaligned. */
export type CheckpointToTake = AlignedCheckpoint & { channelState?: PendingChannelState };

/** One logical input of one operator, fed by one or more gates. */
interface LogicalInput {
  op: StreamOperator;
  input: number;
  valve: WatermarkValve;
  ended: boolean;
  /** Whether the operator was told this input is idle. */
  idle: boolean;
}

/** One gate and where its channels land. */
interface GateBinding {
  gate: InputGate;
  target: LogicalInput;
  /** Index of the gate's channel 0 in the valve. */
  channelOffset: number;
  /** Index of the gate's channel 0 among all channels of the task (barrier alignment). */
  globalOffset: number;
}

const NO_ABORTS: AbortedCheckpoint[] = [];

/** How often (in records) a slice looks at the clock, at most (cheap records). */
const CLOCK_CHECK_MASK = 63;
/** Records of one call after which cheap records let the look interval grow back. */
const CHEAP_RUN = 1024;

/** Processes the items of a task's input gates. */
export class TaskInputProcessor {
  private readonly bindings: GateBinding[] = [];
  private readonly inputs: LogicalInput[] = [];
  private next = 0;
  /**
   * Records between two looks at the clock, minus one: halved when a slice overran its deadline by
   * its first look (64 records of 1 ms would hold the event loop, and every task's checkpoint I/O,
   * for 64 ms), doubled again after a run of cheap records.
   */
  private clockMask = CLOCK_CHECK_MASK;
  /** Records handed to operators so far (read by the task's metrics once per slice). */
  recordsIn = 0;
  /** A record batch whose processing a slice interrupted, where to resume it, and its channel (over all gates). */
  private partial: { batch: RecordBatch; target: LogicalInput; offset: number; channel: number } | undefined;
  private readonly aligner: BarrierAligner;
  /** A checkpoint whose barriers all arrived, to be taken before the next slice. */
  private aligned: CheckpointToTake | undefined;
  /** Channel state of the unaligned checkpoint being collected. */
  private channelState: PendingChannelState | undefined;
  /** Restored input channel state still to be processed, before any new input. */
  private replay: { batch: RecordBatch; target: LogicalInput; channel: number }[] = [];
  /** Checkpoints given up while reading (superseded, cancelled upstream). */
  private aborted: AbortedCheckpoint[] = [];
  /**
   * Set after the savepoint of a stop-with-savepoint without drain: inputs that end then do not
   * advance to the maximal watermark, so pending event-time windows and timers do not fire.
   */
  suppressFinalWatermark = false;
  /**
   * True while timers of a watermark handed over are still to fire (the task fires them in its
   * next slices): a slice stops right after such a watermark, so no later item (record, barrier,
   * end of input) is processed before those timers fired.
   */
  timersPending: () => boolean = () => false;
  /** An end of partition whose watermark's timers were pending: its input ends once they fired. */
  private pendingEnd: { target: LogicalInput; globalChannel: number } | undefined;

  constructor(vertex: JobVertex, gates: InputGate[], operators: StreamOperator[]) {
    const channelsPerInput = new Map<string, number>();
    vertex.inputs.forEach((edge, i) => {
      const id = `${edge.targetOperatorIndex}:${edge.targetInput}`;
      channelsPerInput.set(id, (channelsPerInput.get(id) ?? 0) + gates[i]!.numberOfChannels);
    });
    const byId = new Map<string, LogicalInput>();
    const used = new Map<string, number>();
    let globalOffset = 0;
    vertex.inputs.forEach((edge, i) => {
      const id = `${edge.targetOperatorIndex}:${edge.targetInput}`;
      let target = byId.get(id);
      if (!target) {
        const op = operators[edge.targetOperatorIndex];
        if (!op) throw new InternalError(`${vertex.name}: input ${i} targets missing operator ${edge.targetOperatorIndex}`);
        target = { op, input: edge.targetInput, valve: new WatermarkValve(channelsPerInput.get(id)!), ended: false, idle: false };
        byId.set(id, target);
        this.inputs.push(target);
      }
      const offset = used.get(id) ?? 0;
      used.set(id, offset + gates[i]!.numberOfChannels);
      this.bindings.push({ gate: gates[i]!, target, channelOffset: offset, globalOffset });
      globalOffset += gates[i]!.numberOfChannels;
    });
    this.aligner = new BarrierAligner(globalOffset, gateChannelBlocker(this.bindings));
    // Inputs without channels (zero producers) have ended before they began.
    for (const input of this.inputs) if (input.valve.numberOfChannels === 0) this.endInput(input);
  }

  /** True once every input ended. */
  get isFinished(): boolean {
    for (const input of this.inputs) if (!input.ended) return false;
    return true;
  }

  /**
   * Processes items round-robin over the gates until `maxRecords` records were handed over,
   * `maxMillis` passed, no gate has an item, or `stop()` says the outputs are backpressured.
   * The time bound keeps the event loop responsive (network, heartbeats, other tasks) even when
   * user code is slow: a batch interrupted by it is resumed by the next slice. Returns the number
   * of items processed (a resumed batch counts as one).
   */
  processSlice(maxRecords: number, stop: () => boolean, maxMillis = Number.POSITIVE_INFINITY): number {
    const deadline = maxMillis === Number.POSITIVE_INFINITY ? maxMillis : performance.now() + maxMillis;
    let records = 0;
    let items = 0;
    if (this.pendingEnd) {
      if (this.timersPending()) return 0;
      const { target, globalChannel } = this.pendingEnd;
      this.pendingEnd = undefined;
      if (this.finishEndOfPartition(target, globalChannel)) return 1;
    }
    // Unaligned barriers first: they do not wait for the rest of an interrupted batch.
    if (this.takeUrgentEvents()) return 1;
    if (this.partial) {
      const { batch, target, offset, channel } = this.partial;
      this.partial = undefined;
      items++;
      records += this.processRecords(batch, target, offset, deadline, channel, stop);
      if (this.partial || stop()) return items;
    }
    // Replayed channel state precedes everything, barriers included (it is older than all of them).
    while (this.replay.length > 0) {
      const { batch, target, channel } = this.replay.shift()!;
      items++;
      records += this.processRecords(batch, target, 0, deadline, channel, stop);
      if (this.partial || stop() || records >= maxRecords) return items;
    }

    const bindings = this.bindings;
    const n = bindings.length;
    let idleGates = 0;
    while (records < maxRecords && idleGates < n) {
      const b = bindings[this.next]!;
      this.next = this.next + 1 === n ? 0 : this.next + 1;
      const gi = b.gate.pollNext();
      if (!gi) {
        idleGates++;
        continue;
      }
      idleGates = 0;
      items++;
      const item = gi.item;
      const target = b.target;
      switch (item.kind) {
        case 'records':
          if (this.channelState && this.aligner.isPersisting(b.globalOffset + gi.channel)) this.channelState.addInput(b.globalOffset + gi.channel, item);
          records += this.processRecords(item, target, 0, deadline, b.globalOffset + gi.channel, stop);
          if (this.partial || stop()) return items;
          break;
        case 'watermark':
          this.advance(target, target.valve.inputWatermark(b.channelOffset + gi.channel, item.timestamp));
          if (this.timersPending()) return items;
          break;
        case 'watermarkStatus':
          this.advance(target, target.valve.inputIdle(b.channelOffset + gi.channel, item.idle));
          if (this.timersPending()) return items;
          break;
        case 'endOfPartition':
          {
            const wm = target.valve.channelFinished(b.channelOffset + gi.channel);
            this.advance(target, this.suppressFinalWatermark && target.valve.isFinished ? undefined : wm);
          }
          if (this.timersPending()) {
            this.pendingEnd = { target, globalChannel: b.globalOffset + gi.channel };
            return items;
          }
          if (this.finishEndOfPartition(target, b.globalOffset + gi.channel)) return items;
          break;
        case 'barrier':
          if (this.onBarrier(b, gi)) return items;
          break;
        case 'cancelCheckpoint':
          this.onAlignment(this.aligner.onCancelCheckpoint(item.checkpointId));
          break;
      }
    }
    return items;
  }

  /** Ends the input once all its channels ended; true when a checkpoint must be taken now. */
  private finishEndOfPartition(target: LogicalInput, globalChannel: number): boolean {
    if (target.valve.isFinished) this.endInput(target);
    return this.onAlignment(this.aligner.onEndOfPartition(globalChannel));
  }

  /**
   * Takes the unaligned barriers that jumped the gates' queues and turns a timed-out alignment
   * unaligned (also while the task waits for output credit, as Flink's priority events); true
   * when a checkpoint must be taken now. Not while restored input is replayed (it comes first).
   */
  takeUrgentEvents(): boolean {
    if (this.replay.length > 0) return false;
    return this.takePriorityEvents() || this.onAlignment(this.aligner.checkTimeout());
  }

  private takePriorityEvents(): boolean {
    for (const b of this.bindings) {
      let gi: GateItem | undefined;
      while ((gi = b.gate.pollPriority()) !== undefined) if (this.onBarrier(b, gi)) return true;
    }
    return false;
  }

  /** A barrier arrived; what an unaligned one overtook in its channel belongs to its checkpoint. */
  private onBarrier(b: GateBinding, gi: GateItem): boolean {
    const channel = b.globalOffset + gi.channel;
    const persisting = this.aligner.isPersisting(channel);
    const outcome = this.aligner.onBarrier(channel, gi.item as CheckpointBarrierEvent);
    const take = this.onAlignment(outcome, channel, gi.overtaken);
    if (persisting && !outcome.aligned && gi.overtaken) for (const batch of gi.overtaken) this.channelState?.addInput(channel, batch);
    if (outcome.channelStateComplete !== undefined) this.finishChannelState(outcome.channelStateComplete);
    return take;
  }

  /**
   * Records what alignment changed; true when a checkpoint must be taken now. An unaligned one
   * starts its channel state with the rest of an interrupted batch and what its first barrier
   * overtook on `channel`.
   */
  private onAlignment(outcome: AlignmentOutcome, channel?: number, overtaken?: RecordBatch[]): boolean {
    if (outcome.aborted) {
      this.aborted.push(outcome.aborted);
      this.dropChannelState(outcome.aborted.checkpointId, outcome.aborted.reason);
    }
    if (outcome.channelStateComplete !== undefined && channel === undefined) this.finishChannelState(outcome.channelStateComplete);
    if (!outcome.aligned) return false;
    const aligned: CheckpointToTake = outcome.aligned;
    if (aligned.unaligned) {
      const state = new PendingChannelState(aligned.barrier.checkpointId);
      if (this.partial) state.addInputRemainder(this.partial.channel, this.partial.batch, this.partial.offset);
      if (channel !== undefined && overtaken) for (const batch of overtaken) state.addInput(channel, batch);
      aligned.channelState = state;
      this.channelState = state;
    }
    this.aligned = aligned;
    return true;
  }

  private finishChannelState(checkpointId: number): void {
    if (this.channelState?.checkpointId === checkpointId) this.channelState = void this.channelState.complete();
  }

  private dropChannelState(checkpointId: number, reason: string): void {
    if (!this.channelState || this.channelState.checkpointId > checkpointId) return;
    this.channelState.abort(reason);
    this.channelState = undefined;
  }

  /** Restored input channel state: processed before any new input (channel = index over all gates). */
  replayChannelState(inputs: InputChannelState[]): void {
    for (const s of inputs) {
      const b = this.bindingOf(s.channel);
      if (!b) throw new InternalError(`restored channel state names input channel ${s.channel}, the task has fewer`);
      for (const batch of s.batches) this.replay.push({ batch, target: b.target, channel: s.channel });
    }
  }

  private bindingOf(channel: number): GateBinding | undefined {
    return this.bindings.find((b) => channel >= b.globalOffset && channel < b.globalOffset + b.gate.numberOfChannels);
  }

  /** The checkpoint aligned by the last slice (taken once). */
  takeAlignedCheckpoint(): CheckpointToTake | undefined {
    const a = this.aligned;
    this.aligned = undefined;
    return a;
  }

  /** Checkpoints given up since the last call. */
  takeAbortedCheckpoints(): AbortedCheckpoint[] {
    if (this.aborted.length === 0) return NO_ABORTS;
    const a = this.aborted;
    this.aborted = [];
    return a;
  }

  /** The coordinator aborted `checkpointId`: its alignment (if pending) ends, channels unblock. */
  abortCheckpoint(checkpointId: number, reason: string): AbortedCheckpoint | undefined {
    this.dropChannelState(checkpointId, reason);
    return this.aligner.abort(checkpointId, reason);
  }

  /**
   * Hands records `from..` of a batch to the operator; stops early once `deadline` passed or
   * `stop()` holds, and remembers where. Returns the number of records handed over.
   */
  private processRecords(batch: RecordBatch, target: LogicalInput, from: number, deadline: number, channel: number, stop: () => boolean): number {
    const { values, timestamps } = batch;
    const op = target.op;
    const input = target.input;
    const end = values.length;
    const mask = this.clockMask;
    let i = from;
    while (i < end) {
      op.processElement(values[i], timestamps ? timestamps[i]! : NO_TIMESTAMP, input);
      i++;
      // Also stops when an operator refuses input (async I/O at capacity), so a big batch does not overfill it.
      if ((i & mask) === 0 && i < end && (performance.now() > deadline || stop())) {
        if (i - from <= mask + 1 && mask > 0) this.clockMask = mask >> 1;
        this.partial = { batch, target, offset: i, channel };
        break;
      }
    }
    if (i - from >= CHEAP_RUN && mask < CLOCK_CHECK_MASK) this.clockMask = (mask << 1) | 1;
    this.recordsIn += i - from;
    return i - from;
  }

  /**
   * Hands an advanced watermark to the operator, then tells it when the input as a whole became
   * idle (every unfinished channel idle) or active again.
   */
  private advance(target: LogicalInput, watermark: number | undefined): void {
    if (watermark !== undefined) target.op.processWatermark(watermark, target.input);
    const idle = target.valve.isIdle;
    if (idle !== target.idle) {
      target.idle = idle;
      target.op.processWatermarkStatus?.(idle, target.input);
    }
  }

  /** The watermark of the task's inputs: the minimum over its logical inputs (Flink's currentInputWatermark). */
  get currentInputWatermark(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const input of this.inputs) if (input.valve.watermark < min) min = input.valve.watermark;
    return min === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : min;
  }

  private endInput(target: LogicalInput): void {
    if (target.ended) return;
    target.ended = true;
    target.op.endInput(target.input);
  }

  /** Resolves when some gate received an unaligned barrier, or a pending alignment times out. */
  whenUrgent(): Promise<void> {
    const waits = this.bindings.map((b) => b.gate.whenPriorityAvailable());
    const deadline = this.aligner.alignmentDeadline;
    if (deadline !== undefined) waits.push(new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref()));
    return Promise.race(waits);
  }

  /** Resolves when some unfinished gate may have an item; rejects when a channel failed. */
  whenAvailable(): Promise<void> {
    if (this.replay.length > 0) return Promise.resolve();
    const waits: Promise<void>[] = [];
    for (const b of this.bindings) if (!b.gate.isFinished()) waits.push(b.gate.whenAvailable());
    // An aligned checkpoint that may turn unaligned wakes the task when its timeout passes.
    const deadline = this.aligner.alignmentDeadline;
    if (deadline !== undefined) waits.push(new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref()));
    return waits.length === 0 ? Promise.resolve() : Promise.race(waits);
  }
}
