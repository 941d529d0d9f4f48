/**
 * Window assigners: which windows an element belongs to. Pure; the window operator asks them
 * per element and (for sessions) merges the result.
 */
import { GlobalWindow, TimeWindow, type Window } from './windows.js';
import type { Trigger } from './triggers.js';
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger } from './triggers.js';
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';

/** What an assigner may ask of the operator. */
export interface WindowAssignerContext {
  getCurrentProcessingTime(): number;
}

/** Assigns elements to windows. */
export abstract class WindowAssigner<W extends Window = Window> {
  /** Windows of an element with timestamp `timestamp` (event time) or arriving now. */
  abstract assignWindows(element: unknown, timestamp: number, ctx: WindowAssignerContext): W[];
  /** The trigger used unless `.trigger()` overrides it. */
  abstract getDefaultTrigger(): Trigger<unknown, W>;
  /** True for event-time assigners (elements need timestamps; lateness applies). */
  abstract isEventTime(): boolean;
  /** True when windows merge (sessions). */
  isMerging(): boolean {
    return false;
  }
}

function checkSize(what: string, size: number): void {
  if (!(size > 0) || !Number.isFinite(size)) throw new InvalidArgumentError(`${what} must be a positive number of ms, got ${size}`);
}

abstract class TumblingWindows extends WindowAssigner<TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly offset: number,
  ) {
    super();
    checkSize('window size', size);
    if (Math.abs(offset) >= size) throw new InvalidArgumentError('window offset must be smaller than the window size');
  }

  protected windowFor(ts: number): TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(ts, (this.offset + this.size) % this.size, this.size);
    return [new TimeWindow(start, start + this.size)];
  }
}

/** Fixed-size, non-overlapping event-time windows. */
export class TumblingEventTimeWindows extends TumblingWindows {
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    return new TumblingEventTimeWindows(size, offset);
  }
  assignWindows(_e: unknown, timestamp: number, _ctx?: WindowAssignerContext): TimeWindow[] {
    if (!Number.isFinite(timestamp)) {
      throw new FailedPreconditionError('Record has no timestamp: event-time windows need timestamps; use assignTimestampsAndWatermarks');
    }
    return this.windowFor(timestamp);
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
}

/** Fixed-size, non-overlapping processing-time windows. */
export class TumblingProcessingTimeWindows extends TumblingWindows {
  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    return new TumblingProcessingTimeWindows(size, offset);
  }
  assignWindows(_e: unknown, _ts: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.windowFor(ctx.getCurrentProcessingTime());
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
}

abstract class SlidingWindows extends WindowAssigner<TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {
    super();
    checkSize('window size', size);
    checkSize('window slide', slide);
    if (Math.abs(offset) >= slide) throw new InvalidArgumentError('window offset must be smaller than the slide');
  }

  protected windowsFor(ts: number): TimeWindow[] {
    const out: TimeWindow[] = [];
    const lastStart = TimeWindow.getWindowStartWithOffset(ts, (this.offset + this.slide) % this.slide, this.slide);
    for (let start = lastStart; start > ts - this.size; start -= this.slide) out.push(new TimeWindow(start, start + this.size));
    return out;
  }
}

/** Overlapping event-time windows of `size`, one starting every `slide`. */
export class SlidingEventTimeWindows extends SlidingWindows {
  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    return new SlidingEventTimeWindows(size, slide, offset);
  }
  assignWindows(_e: unknown, timestamp: number, _ctx?: WindowAssignerContext): TimeWindow[] {
    if (!Number.isFinite(timestamp)) {
      throw new FailedPreconditionError('Record has no timestamp: event-time windows need timestamps; use assignTimestampsAndWatermarks');
    }
    return this.windowsFor(timestamp);
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
}

/** Overlapping processing-time windows. */
export class SlidingProcessingTimeWindows extends SlidingWindows {
  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    return new SlidingProcessingTimeWindows(size, slide, offset);
  }
  assignWindows(_e: unknown, _ts: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.windowsFor(ctx.getCurrentProcessingTime());
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
}

abstract class SessionWindows extends WindowAssigner<TimeWindow> {
  protected constructor(readonly gap: number) {
    super();
    checkSize('session gap', gap);
  }
  override isMerging(): boolean {
    return true;
  }
}

/** Event-time sessions: windows `[ts, ts + gap)` merged while they overlap. */
export class EventTimeSessionWindows extends SessionWindows {
  static withGap(gap: number): EventTimeSessionWindows {
    return new EventTimeSessionWindows(gap);
  }
  /** Sessions whose gap each element names (Flink's `DynamicEventTimeSessionWindows`). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): DynamicEventTimeSessionWindows<T> {
    return new DynamicEventTimeSessionWindows(extractor);
  }
  assignWindows(_e: unknown, timestamp: number, _ctx?: WindowAssignerContext): TimeWindow[] {
    if (!Number.isFinite(timestamp)) {
      throw new FailedPreconditionError('Record has no timestamp: event-time windows need timestamps; use assignTimestampsAndWatermarks');
    }
    return [new TimeWindow(timestamp, timestamp + this.gap)];
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
}

/** Processing-time sessions. */
export class ProcessingTimeSessionWindows extends SessionWindows {
  static withGap(gap: number): ProcessingTimeSessionWindows {
    return new ProcessingTimeSessionWindows(gap);
  }
  /** Sessions whose gap each element names (Flink's `DynamicProcessingTimeSessionWindows`). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): DynamicProcessingTimeSessionWindows<T> {
    return new DynamicProcessingTimeSessionWindows(extractor);
  }
  assignWindows(_e: unknown, _ts: number, ctx: WindowAssignerContext): TimeWindow[] {
    const now = ctx.getCurrentProcessingTime();
    return [new TimeWindow(now, now + this.gap)];
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
}

/** Flink's `SessionWindowTimeGapExtractor`: the session gap (ms) an element opens. */
export type SessionWindowTimeGapExtractor<T> = ((element: T) => number) | { extract(element: T): number };

/** Sessions with a gap per element: windows `[t, t + extract(element))` merged while they overlap. */
abstract class DynamicSessionWindows<T> extends WindowAssigner<TimeWindow> {
  private readonly extract: (element: T) => number;
  protected constructor(extractor: SessionWindowTimeGapExtractor<T>) {
    super();
    if (typeof extractor === 'function') this.extract = extractor;
    else if (extractor && typeof extractor.extract === 'function') this.extract = (e) => extractor.extract(e);
    else throw new InvalidArgumentError('withDynamicGap() takes a function (element) => gap in ms, or an object with extract(element)');
  }
  protected window(element: unknown, start: number): TimeWindow[] {
    const gap = this.extract(element as T);
    if (!(gap > 0) || !Number.isFinite(gap)) {
      throw new InvalidArgumentError(`Dynamic session time gap must satisfy 0 < gap, got ${gap}`);
    }
    return [new TimeWindow(start, start + gap)];
  }
  override isMerging(): boolean {
    return true;
  }
}

/** Event-time sessions with a gap per element (`EventTimeSessionWindows.withDynamicGap`). */
export class DynamicEventTimeSessionWindows<T> extends DynamicSessionWindows<T> {
  constructor(extractor: SessionWindowTimeGapExtractor<T>) {
    super(extractor);
  }
  /** Flink's factory of the same assigner. */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): DynamicEventTimeSessionWindows<T> {
    return new DynamicEventTimeSessionWindows(extractor);
  }
  assignWindows(element: unknown, timestamp: number): TimeWindow[] {
    if (!Number.isFinite(timestamp)) {
      throw new InvalidArgumentError('Record has no timestamp: event-time windows need timestamps; use assignTimestampsAndWatermarks');
    }
    return this.window(element, timestamp);
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
}

/** Processing-time sessions with a gap per element (`ProcessingTimeSessionWindows.withDynamicGap`). */
export class DynamicProcessingTimeSessionWindows<T> extends DynamicSessionWindows<T> {
  constructor(extractor: SessionWindowTimeGapExtractor<T>) {
    super(extractor);
  }
  /** Flink's factory of the same assigner. */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): DynamicProcessingTimeSessionWindows<T> {
    return new DynamicProcessingTimeSessionWindows(extractor);
  }
  assignWindows(element: unknown, _ts: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.window(element, ctx.getCurrentProcessingTime());
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
}

/** Every element in one window per key; needs a trigger (count windows use one). */
export class GlobalWindows extends WindowAssigner<GlobalWindow> {
  static create(): GlobalWindows {
    return new GlobalWindows();
  }
  assignWindows(_e?: unknown, _ts?: number, _ctx?: WindowAssignerContext): GlobalWindow[] {
    return [GlobalWindow.INSTANCE];
  }
  getDefaultTrigger(): Trigger<unknown, GlobalWindow> {
    return NeverTrigger.create();
  }
  isEventTime(): boolean {
    return false;
  }
}
