/**
 * The `intervalJoin` operator (Flink's IntervalJoinOperator). Both inputs are keyed by the same
 * key; each side's elements are buffered in keyed MapState by timestamp. A new left element
 * `l` joins every buffered right element `r` with
 * `l.ts + lowerBound <= r.ts <= l.ts + upperBound` (either bound exclusive on request), and a
 * new right element joins the buffered left elements in the mirrored range. An event-time
 * timer per buffered timestamp drops it once the watermark shows no partner can still arrive.
 * Elements behind the watermark are late: dropped, or sent to a side output when asked.
 * Results carry the larger of both timestamps.
 */
import type { Collector, KeySelector } from '../../common/functions.js';
import type { ProcessJoinContext } from '../../common/join-functions.js';
import type { OutputTag } from '../../common/output-tag.js';
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';
import { KeyedMapState } from '../../state/keyed-states.js';
import { NO_TIMESTAMP } from '../../common/stream-element.js';
import type { FiredTimer } from '../../state/heap-timer-queue.js';
import { bindUserFunction } from '../user-function.js';
import { AbstractStreamOperator } from './abstract-stream-operator.js';
import { bindInputKeySelectors, type InputKeySelectors } from './co-input-keys.js';

/** Keyed state buffering the left elements: timestamp → elements. */
export const INTERVAL_JOIN_LEFT_BUFFER = '_interval_join_left';
/** Keyed state buffering the right elements: timestamp → elements. */
export const INTERVAL_JOIN_RIGHT_BUFFER = '_interval_join_right';
const CLEANUP_LEFT = 'CLEANUP_LEFT';
const CLEANUP_RIGHT = 'CLEANUP_RIGHT';

/** Settings of an `intervalJoin` node. */
interface IntervalJoinOperatorSettings {
  lowerBound: number;
  upperBound: number;
  lowerBoundInclusive: boolean;
  upperBoundInclusive: boolean;
  /** Side output tag ids for late elements of either side. */
  leftLateDataTag?: string;
  rightLateDataTag?: string;
}

type JoinFn = (left: unknown, right: unknown, ctx: ProcessJoinContext, out: Collector<unknown>) => void;

/** Kind `intervalJoin`. */
export class IntervalJoinOperator extends AbstractStreamOperator {
  private readonly fn: JoinFn;
  private readonly keys: InputKeySelectors;
  private readonly s: IntervalJoinOperatorSettings;
  private leftBuffer!: KeyedMapState<number, unknown[]>;
  private rightBuffer!: KeyedMapState<number, unknown[]>;
  private leftTs = 0;
  private rightTs = 0;
  private resultTs = 0;
  private readonly collector: Collector<unknown> = { collect: (v) => this.output.collect(v, this.resultTs) };
  private readonly context: ProcessJoinContext;

  constructor(name: string, userFunction: unknown, settings: Record<string, unknown>, keySelectors: readonly (KeySelector<unknown, unknown> | undefined)[]) {
    super(name, userFunction, 2);
    this.fn = bindUserFunction(userFunction, 'processElement', name);
    this.keys = bindInputKeySelectors(keySelectors, name);
    const s = settings as unknown as IntervalJoinOperatorSettings;
    if (!Number.isFinite(s.lowerBound) || !Number.isFinite(s.upperBound) || s.lowerBound > s.upperBound) {
      throw new InvalidArgumentError(`${name}: invalid interval [${String(s.lowerBound)}, ${String(s.upperBound)}]`);
    }
    this.s = { ...s, lowerBoundInclusive: s.lowerBoundInclusive !== false, upperBoundInclusive: s.upperBoundInclusive !== false };
    this.context = {
      getLeftTimestamp: () => this.leftTs,
      getRightTimestamp: () => this.rightTs,
      timestamp: () => this.resultTs,
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag.id, value, this.resultTs),
    };
  }

  protected override onOpen(): void {
    const backend = this.ctx.keyedStateBackend!;
    backend.registerState(INTERVAL_JOIN_LEFT_BUFFER, 'map');
    backend.registerState(INTERVAL_JOIN_RIGHT_BUFFER, 'map');
    this.leftBuffer = new KeyedMapState<number, unknown[]>(backend, INTERVAL_JOIN_LEFT_BUFFER, undefined);
    this.rightBuffer = new KeyedMapState<number, unknown[]>(backend, INTERVAL_JOIN_RIGHT_BUFFER, undefined);
    this.ctx.timerService!.setCallback((timer, domain) => {
      if (domain === 'EVENT_TIME') this.cleanUp(timer);
    });
  }

  processElement(value: unknown, timestamp: number, input: number): void {
    if (timestamp === NO_TIMESTAMP) {
      throw new FailedPreconditionError(
        `${this.name}: an element of the ${input === 0 ? 'left' : 'right'} input has no timestamp; interval joins work in event time: ` +
          'assign timestamps with assignTimestampsAndWatermarks() or fromSource(source, WatermarkStrategy…) on both inputs',
      );
    }
    const isLeft = input === 0;
    try {
      this.ctx.keyedStateBackend!.setCurrentKey(this.keys[input]!(value));
    } catch (err) {
      throw this.userError(err);
    }
    if (timestamp < this.currentWatermark) {
      const tag = isLeft ? this.s.leftLateDataTag : this.s.rightLateDataTag;
      if (tag !== undefined) this.output.collectSide(tag, value, timestamp);
      return;
    }
    const { lowerBound, upperBound, lowerBoundInclusive, upperBoundInclusive } = this.s;
    const ours = isLeft ? this.leftBuffer : this.rightBuffer;
    const bucket = ours.get(timestamp);
    if (bucket) bucket.push(value);
    ours.put(timestamp, bucket ?? [value]);

    // The range of partner timestamps: for a left element [ts + lower, ts + upper]; for a
    // right element the mirror [ts - upper, ts - lower], with the inclusiveness swapped too.
    const from = isLeft ? timestamp + lowerBound : timestamp - upperBound;
    const to = isLeft ? timestamp + upperBound : timestamp - lowerBound;
    const fromInclusive = isLeft ? lowerBoundInclusive : upperBoundInclusive;
    const toInclusive = isLeft ? upperBoundInclusive : lowerBoundInclusive;
    const others = isLeft ? this.rightBuffer : this.leftBuffer;
    for (const [ts, elements] of others.entries()) {
      if (ts < from || (ts === from && !fromInclusive) || ts > to || (ts === to && !toInclusive)) continue;
      for (const other of elements) {
        if (isLeft) this.emit(value, timestamp, other, ts);
        else this.emit(other, ts, value, timestamp);
      }
    }

    // Flink's cleanup time: once the watermark passes it, no partner of this element can come.
    const relativeUpper = isLeft ? upperBound : -lowerBound;
    const cleanupTime = relativeUpper > 0 ? timestamp + relativeUpper : timestamp;
    this.ctx.timerService!.registerEventTimeTimer(cleanupTime, isLeft ? CLEANUP_LEFT : CLEANUP_RIGHT);
  }

  private emit(left: unknown, leftTs: number, right: unknown, rightTs: number): void {
    this.leftTs = leftTs;
    this.rightTs = rightTs;
    this.resultTs = Math.max(leftTs, rightTs);
    try {
      this.fn(left, right, this.context, this.collector);
    } catch (err) {
      throw this.userError(err);
    }
  }

  /** Drops the buffered elements whose cleanup timer fired (the key is current). */
  private cleanUp(timer: FiredTimer): void {
    const { lowerBound, upperBound } = this.s;
    if (timer.namespace === CLEANUP_LEFT) {
      this.leftBuffer.remove(upperBound <= 0 ? timer.timestamp : timer.timestamp - upperBound);
    } else if (timer.namespace === CLEANUP_RIGHT) {
      this.rightBuffer.remove(lowerBound <= 0 ? timer.timestamp + lowerBound : timer.timestamp);
    }
  }
}
