/**
 * Common base of the runtime operators: keeps the output and context, combines the watermarks
 * of its inputs (the minimum), fires event-time timers when the combined watermark advances,
 * and runs the user function's `open`/`close`.
 *
 * Timer firing may stop at the task's slice deadline ({@link InternalTimerService}): the
 * watermark is then pending, and is forwarded only once {@link AbstractStreamOperator.resumeTimers}
 * fired every timer up to it (Flink's order: timers fire, then the watermark is emitted).
 */
import type { OpenContext } from '../../common/runtime-context.js';
import { NO_TIMESTAMP } from '../../common/stream-element.js';
import {
  initializeStateOf,
  notifyAbortedOf,
  notifyCompleteOf,
  snapshotStateOf,
  stateInitializationContext,
  type StateInitializationContext,
  type StateSnapshotContext,
} from '../../common/checkpoint-hooks.js';
import type { OperatorContext, Output, StreamOperator } from '../stream-operator.js';
import { asUserCodeError, closeUserFunction, openUserFunction } from '../user-function.js';
import type { StreamingRuntimeContext } from '../streaming-runtime-context.js';

/** Base class of every operator. */
export abstract class AbstractStreamOperator implements StreamOperator {
  protected output!: Output;
  protected ctx!: OperatorContext;
  /** Combined watermark of all inputs. */
  protected currentWatermark = Number.NEGATIVE_INFINITY;
  private readonly inputWatermarks: number[];
  private readonly idleInputs: boolean[];
  private outputIdle = false;
  /** A combined watermark whose timers have not all fired yet (not forwarded yet). */
  private pendingWatermark: number | undefined;

  constructor(
    readonly name: string,
    /** The user function, opened and closed with the operator (undefined for none). */
    protected readonly userFunction: unknown,
    numberOfInputs = 1,
  ) {
    this.inputWatermarks = new Array(Math.max(1, numberOfInputs)).fill(Number.NEGATIVE_INFINITY);
    this.idleInputs = new Array(Math.max(1, numberOfInputs)).fill(false);
  }

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
    this.output = ctx.output;
    await this.initializeState(stateInitializationContext(ctx.operatorStateStore, ctx.restoredCheckpointId));
    const rc = ctx.runtimeContext as StreamingRuntimeContext;
    const openCtx: OpenContext = typeof rc.openContext === 'function' ? rc.openContext() : rc;
    await openUserFunction(this.userFunction, this.name, ctx.runtimeContext, openCtx);
    await this.onOpen();
  }

  /** Restores what the user function keeps in operator state (CheckpointedFunction). */
  async initializeState(ctx: StateInitializationContext): Promise<void> {
    try {
      await initializeStateOf(this.userFunction, ctx);
    } catch (err) {
      throw this.userError(err);
    }
  }

  /** Lets the user function put its state into operator state (CheckpointedFunction). */
  snapshotState(ctx: StateSnapshotContext): void | Promise<void> {
    try {
      return snapshotStateOf(this.userFunction, ctx);
    } catch (err) {
      throw this.userError(err);
    }
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return notifyCompleteOf(this.userFunction, checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void | Promise<void> {
    return notifyAbortedOf(this.userFunction, checkpointId);
  }

  /** Hook for subclasses, after the user function was opened. */
  protected onOpen(): void | Promise<void> {}

  abstract processElement(value: unknown, timestamp: number, input: number): void;

  processWatermark(timestamp: number, input: number): void {
    const wms = this.inputWatermarks;
    if (timestamp <= wms[input]!) return;
    wms[input] = timestamp;
    this.advanceCombinedWatermark();
  }

  /** The combined watermark of this operator's inputs (what its timers and windows see). */
  get currentInputWatermark(): number {
    return this.currentWatermark;
  }

  /** Recomputes the minimum over inputs that are not idle; fires timers and forwards it when it advanced. */
  private advanceCombinedWatermark(): void {
    const wms = this.inputWatermarks;
    let combined = Number.POSITIVE_INFINITY;
    for (let i = 0; i < wms.length; i++) if (!this.idleInputs[i] && wms[i]! < combined) combined = wms[i]!;
    if (combined === Number.POSITIVE_INFINITY || combined <= this.currentWatermark) return;
    this.currentWatermark = combined;
    this.fireAndForward(combined);
  }

  /** Fires the timers up to `watermark`, then forwards it; leaves it pending when firing stopped early. */
  private fireAndForward(watermark: number): void {
    if (this.onWatermark(watermark) === false) {
      this.pendingWatermark = watermark;
      return;
    }
    this.pendingWatermark = undefined;
    this.output.emitWatermark(watermark);
  }

  /** True while timer work stopped at a slice deadline waits to go on (event or processing time). */
  get hasPendingTimers(): boolean {
    return this.pendingWatermark !== undefined || this.ctx?.timerService?.hasPendingFiring === true;
  }

  /**
   * Goes on firing the timers of a pending watermark within the current budget and forwards
   * the watermark once all fired. Returns true when no event-time work is left.
   */
  resumeTimers(): boolean {
    if (this.pendingWatermark === undefined) return true;
    this.fireAndForward(this.currentWatermark);
    return this.pendingWatermark === undefined;
  }

  /**
   * An input became idle or active: idle inputs do not hold back the combined watermark; the
   * operator's output is idle while every input is.
   */
  processWatermarkStatus(idle: boolean, input: number): void {
    if (this.idleInputs[input] === idle) return;
    this.idleInputs[input] = idle;
    const allIdle = this.idleInputs.every((i) => i);
    if (allIdle !== this.outputIdle) {
      this.outputIdle = allIdle;
      this.output.emitWatermarkStatus?.(allIdle);
    }
    if (!allIdle) this.advanceCombinedWatermark();
  }

  /**
   * Called when the combined watermark advanced, before it is forwarded (and again, with the
   * same or a later watermark, while it returns false: firing stopped at the deadline).
   */
  protected onWatermark(watermark: number): boolean | void {
    const timers = this.ctx.timerService;
    if (timers) return timers.advanceWatermark(watermark);
  }

  endInput(_input: number): void {}

  finish(): void | Promise<void> {}

  async close(): Promise<void> {
    await closeUserFunction(this.userFunction, this.name);
  }

  /** Wraps what user code threw. */
  protected userError(err: unknown): Error {
    return asUserCodeError(this.name, err);
  }
}

/** `timestamp` as user code sees it: undefined for NO_TIMESTAMP. */
export function visibleTimestamp(timestamp: number): number | undefined {
  return timestamp === NO_TIMESTAMP ? undefined : timestamp;
}
