/**
 * The `window` operator (Flink's WindowOperator): assigns each record of a keyed stream to
 * windows, keeps their contents in the keyed state backend (namespace = window id), asks the
 * trigger when to emit, and registers a cleanup timer at `maxTimestamp + allowedLateness`
 * (event time) or `maxTimestamp` (processing time). Session windows merge through a
 * {@link MergingWindowSet} kept in keyed state. Elements too late for every window go to the
 * late-data side output or are dropped. Results carry the timestamp `window.maxTimestamp()`.
 */
import type { Collector, KeySelector } from '../../common/functions.js';
import type { WindowAssignerContext } from '../../common/windowing/window-assigners.js';
import type { WindowOperatorSpec } from '../../common/windowing/window-operator-spec.js';
import type { Trigger, TriggerResult } from '../../common/windowing/triggers.js';
import { type TimeWindow, type Window, windowFromId, windowId } from '../../common/windowing/windows.js';
import { closeUserFunction, openUserFunction } from '../user-function.js';
import { MAX_WATERMARK } from '../../common/stream-element.js';
import type { StreamingRuntimeContext } from '../streaming-runtime-context.js';
import type { FiredTimer } from '../../state/heap-timer-queue.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindKeySelector } from './keyed-process-operator.js';
import { createWindowContents, type WindowContents } from './window-contents.js';
import { WindowProcessContext, WindowTriggerContext } from './window-contexts.js';
import { bindWindowFunction, type InternalWindowFunction } from './window-function-adapter.js';
import { MergingWindowSet } from './window-merging-set.js';
import { InvalidArgumentError, UnsupportedOperationError } from '../../core/errors.js';

const isFire = (r: TriggerResult): boolean => r === 'FIRE' || r === 'FIRE_AND_PURGE';
const isPurge = (r: TriggerResult): boolean => r === 'PURGE' || r === 'FIRE_AND_PURGE';

/** Kind `window` without an evictor. */
export class WindowOperator extends AbstractStreamOperator {
  protected readonly trigger: Trigger<unknown, Window>;
  protected readonly eventTime: boolean;
  private readonly merging: boolean;
  private readonly keyOf: (value: unknown) => unknown;
  private readonly windowFn: InternalWindowFunction;
  protected contents!: WindowContents;
  protected triggerCtx!: WindowTriggerContext;
  protected processCtx!: WindowProcessContext;
  private emitTimestamp = 0;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.emitTimestamp) };
  private readonly assignerCtx: WindowAssignerContext = { getCurrentProcessingTime: () => this.ctx.currentProcessingTime() };
  private readonly mergeCallback = (result: TimeWindow, merged: TimeWindow[], stateResult: string, mergedState: string[]) =>
    this.onMerge(result, merged, stateResult, mergedState);
  /** Elements dropped because they were too late for every window (Flink's numLateRecordsDropped). */
  numLateRecordsDropped = 0;

  constructor(
    name: string,
    protected readonly spec: WindowOperatorSpec,
    keySelector: KeySelector<unknown, unknown> | undefined,
  ) {
    super(name, spec.windowFunction.fn);
    this.trigger = spec.trigger;
    this.eventTime = spec.assigner.isEventTime();
    this.merging = spec.assigner.isMerging();
    if (this.merging && !this.trigger.canMerge()) {
      throw new UnsupportedOperationError(`${name}: the trigger ${this.trigger.constructor.name} cannot be used with merging (session) windows`);
    }
    if (!(spec.allowedLateness >= 0)) throw new InvalidArgumentError(`${name}: allowed lateness must be >= 0, got ${spec.allowedLateness}`);
    this.keyOf = bindKeySelector(keySelector, name);
    this.windowFn = bindWindowFunction(spec.windowFunction, name);
  }

  protected override async onOpen(): Promise<void> {
    const backend = this.ctx.keyedStateBackend;
    const timers = this.ctx.timerService;
    if (!backend || !timers) throw new InvalidArgumentError(`${this.name}: a window operator needs a keyed input`);
    const agg = this.spec.aggregation;
    if (agg.kind !== 'list') {
      const rc = this.ctx.runtimeContext as StreamingRuntimeContext;
      await openUserFunction(agg.fn, this.name, rc, typeof rc.openContext === 'function' ? rc.openContext() : rc);
    }
    this.contents = this.createContents();
    if (this.merging) MergingWindowSet.register(backend);
    const watermark = () => this.currentWatermark;
    this.triggerCtx = new WindowTriggerContext(backend, timers, watermark, this.name);
    this.processCtx = new WindowProcessContext(backend, timers, watermark, (tag, v) => this.output.collectSide(tag, v, this.emitTimestamp), this.name);
    timers.setCallback((timer, domain) => this.onTimer(timer, domain));
  }

  /** How contents are kept (the evicting variant keeps every element with its timestamp). */
  protected createContents(): WindowContents {
    return createWindowContents(this.ctx.keyedStateBackend!, this.spec.aggregation);
  }

  processElement(value: unknown, timestamp: number): void {
    try {
      this.ctx.keyedStateBackend!.setCurrentKey(this.keyOf(value));
      const windows = this.spec.assigner.assignWindows(value, timestamp, this.assignerCtx);
      const skipped = this.merging ? this.addToMergingWindows(windows as TimeWindow[], value, timestamp) : this.addToWindows(windows, value, timestamp);
      if (skipped && this.isElementLate(timestamp)) {
        if (this.spec.lateDataTag !== undefined) this.output.collectSide(this.spec.lateDataTag, value, timestamp);
        else this.numLateRecordsDropped++;
      }
    } catch (err) {
      throw this.userError(err);
    }
  }

  /** Returns true when every window was late (the element went nowhere). */
  private addToWindows(windows: Window[], value: unknown, timestamp: number): boolean {
    let skipped = true;
    for (const window of windows) {
      if (this.isWindowLate(window)) continue;
      skipped = false;
      const ns = windowId(window);
      this.contents.add(ns, value, timestamp);
      this.onElementInWindow(window, ns, value, timestamp);
    }
    return skipped;
  }

  private addToMergingWindows(windows: TimeWindow[], value: unknown, timestamp: number): boolean {
    const set = MergingWindowSet.load(this.ctx.keyedStateBackend!);
    let skipped = true;
    for (const window of windows) {
      const actual = set.addWindow(window, this.mergeCallback);
      if (this.isWindowLate(actual)) {
        set.retireWindow(actual);
        continue;
      }
      skipped = false;
      const stateNs = set.getStateWindow(actual)!;
      this.contents.add(stateNs, value, timestamp);
      this.onElementInWindow(actual, stateNs, value, timestamp);
    }
    set.persist();
    return skipped;
  }

  private onElementInWindow(window: Window, stateNs: string, value: unknown, timestamp: number): void {
    // Without merging the state namespace is the window's id: no need to compute it again.
    if (this.merging) this.triggerCtx.setWindow(window);
    else this.triggerCtx.setWindow(window, stateNs);
    const result = this.trigger.onElement(value, timestamp, window, this.triggerCtx);
    if (isFire(result)) this.emitWindowContents(window, stateNs);
    if (isPurge(result)) this.contents.clear(stateNs);
    this.registerCleanupTimer(window);
  }

  /** Folds merged windows into `result`: trigger state and timers, cleanup timers, contents. */
  private onMerge(result: TimeWindow, merged: TimeWindow[], stateResult: string, mergedState: string[]): void {
    if (this.eventTime && this.cleanupTime(result) <= this.currentWatermark) {
      throw new UnsupportedOperationError(`the end timestamp of an event-time window cannot become earlier than the current watermark by merging (${result.toString()})`);
    }
    this.triggerCtx.setWindow(result);
    this.triggerCtx.mergedNamespaces = merged.map(windowId);
    try {
      this.trigger.onMerge(result, this.triggerCtx);
    } finally {
      this.triggerCtx.mergedNamespaces = [];
    }
    for (const m of merged) {
      this.triggerCtx.setWindow(m);
      this.trigger.clear(m, this.triggerCtx);
      this.deleteCleanupTimer(m);
    }
    this.contents.merge(stateResult, mergedState);
  }

  private onTimer(timer: FiredTimer, domain: 'EVENT_TIME' | 'PROCESSING_TIME'): void {
    try {
      const window = windowFromId(String(timer.namespace));
      let set: MergingWindowSet | undefined;
      let stateNs: string;
      if (this.merging) {
        set = MergingWindowSet.load(this.ctx.keyedStateBackend!);
        const s = set.getStateWindow(window as TimeWindow);
        // The window was merged into another one meanwhile: its timers belong to that one.
        if (s === undefined) return;
        stateNs = s;
      } else {
        stateNs = windowId(window);
      }
      this.triggerCtx.setWindow(window);
      const result =
        domain === 'EVENT_TIME'
          ? this.trigger.onEventTime(timer.timestamp, window, this.triggerCtx)
          : this.trigger.onProcessingTime(timer.timestamp, window, this.triggerCtx);
      if (isFire(result)) this.emitWindowContents(window, stateNs);
      if (isPurge(result)) this.contents.clear(stateNs);
      if (this.eventTime === (domain === 'EVENT_TIME') && timer.timestamp === this.cleanupTime(window)) {
        this.clearAllState(window, stateNs, set);
      }
      set?.persist();
    } catch (err) {
      throw this.userError(err);
    }
  }

  /** Emits the window function's results for `window`, whose contents live in `stateNs`. */
  protected emitWindowContents(window: Window, stateNs: string): void {
    const input = this.contents.get(stateNs);
    if (input !== undefined) this.invokeWindowFunction(window, input);
  }

  protected invokeWindowFunction(window: Window, input: unknown[]): void {
    this.emitTimestamp = window.maxTimestamp();
    this.processCtx.setWindow(window);
    this.windowFn.process(this.ctx.keyedStateBackend!.getCurrentKey(), window, this.processCtx, input, this.collector);
  }

  private clearAllState(window: Window, stateNs: string, set: MergingWindowSet | undefined): void {
    this.contents.clear(stateNs);
    this.triggerCtx.setWindow(window);
    this.trigger.clear(window, this.triggerCtx);
    this.processCtx.setWindow(window);
    this.windowFn.clear(this.processCtx);
    set?.retireWindow(window as TimeWindow);
  }

  /** When the window's state is dropped. */
  private cleanupTime(window: Window): number {
    if (!this.eventTime) return window.maxTimestamp();
    const t = window.maxTimestamp() + this.spec.allowedLateness;
    return t >= window.maxTimestamp() && t < MAX_WATERMARK ? t : MAX_WATERMARK;
  }

  private registerCleanupTimer(window: Window): void {
    const t = this.cleanupTime(window);
    // The global window never ends: its state lives as long as the job.
    if (t >= MAX_WATERMARK) return;
    if (this.eventTime) {
      // The trigger registered this very timer for this key and window just now (an
      // event-time trigger's end-of-window timer): registering it again would be a no-op.
      if (this.triggerCtx.lastEventTimer !== t) this.triggerCtx.registerEventTimeTimer(t);
    } else this.triggerCtx.registerProcessingTimeTimer(t);
  }

  private deleteCleanupTimer(window: Window): void {
    const t = this.cleanupTime(window);
    if (t >= MAX_WATERMARK) return;
    this.triggerCtx.setWindow(window);
    if (this.eventTime) this.triggerCtx.deleteEventTimeTimer(t);
    else this.triggerCtx.deleteProcessingTimeTimer(t);
  }

  private isWindowLate(window: Window): boolean {
    return this.eventTime && this.cleanupTime(window) <= this.currentWatermark;
  }

  private isElementLate(timestamp: number): boolean {
    return this.eventTime && timestamp + this.spec.allowedLateness <= this.currentWatermark;
  }

  fireProcessingTimers(now: number): void {
    this.ctx.timerService!.fireProcessingTimers(now);
  }

  override async close(): Promise<void> {
    let first: unknown;
    const agg = this.spec.aggregation;
    if (agg.kind !== 'list') {
      try {
        await closeUserFunction(agg.fn, this.name);
      } catch (err) {
        first = err;
      }
    }
    await super.close();
    if (first) throw first;
  }
}
