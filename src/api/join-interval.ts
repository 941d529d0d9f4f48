/**
 * The interval join (Flink's `KeyedStream.intervalJoin`): joins each element `l` of the left
 * keyed stream with every element `r` of the right keyed stream with the same key and
 * `l.timestamp + lowerBound <= r.timestamp <= l.timestamp + upperBound` (bounds inclusive
 * unless made exclusive). Event time only: both inputs need timestamps.
 *
 * `left.intervalJoin(right).between(-2000, 1000).upperBoundExclusive().process(fn)`
 */
import { JobBuildError } from '../core/errors.js';
import { addTwoInputOperator } from './connected-streams.js';
import { requireFunctionOrMethod } from './function-checks.js';
import type { ProcessJoinFunctionLike } from '../common/join-functions.js';
import type { KeyedStream } from './keyed-stream.js';
import type { OutputTag } from '../common/output-tag.js';
import type { SingleOutputStreamOperator } from './single-output-stream-operator.js';

/** Settings of an `intervalJoin` node. */
export interface IntervalJoinSettings {
  lowerBound: number;
  upperBound: number;
  lowerBoundInclusive: boolean;
  upperBoundInclusive: boolean;
  /** Side output tag ids for late elements of either side. */
  leftLateDataTag?: string;
  rightLateDataTag?: string;
}

/** Two keyed streams to be joined; set the interval with {@link between}. */
export class IntervalJoin<T1, T2, K> {
  /** @internal created by `KeyedStream.intervalJoin`. */
  constructor(
    private readonly left: KeyedStream<T1, K>,
    private readonly right: KeyedStream<T2, K>,
  ) {
    if (left.context !== right.context) {
      throw new JobBuildError('intervalJoin() of streams from different execution environments: build the whole job on one environment');
    }
  }

  /** Joins right elements with timestamps in `[left.ts + lowerBoundMs, left.ts + upperBoundMs]`. */
  between(lowerBoundMs: number, upperBoundMs: number): IntervalJoined<T1, T2, K> {
    if (!Number.isFinite(lowerBoundMs) || !Number.isFinite(upperBoundMs)) {
      throw new JobBuildError(`intervalJoin().between() expects finite bounds, got ${lowerBoundMs} and ${upperBoundMs}`);
    }
    if (lowerBoundMs > upperBoundMs) {
      throw new JobBuildError(`intervalJoin().between(): lower bound ${lowerBoundMs} is above upper bound ${upperBoundMs}`);
    }
    return new IntervalJoined(this.left, this.right, lowerBoundMs, upperBoundMs);
  }
}

/** An interval join with its bounds; finish it with {@link process}. */
export class IntervalJoined<T1, T2, K> {
  private lowerInclusive = true;
  private upperInclusive = true;
  private leftLateTag: string | undefined;
  private rightLateTag: string | undefined;

  /** @internal created by `IntervalJoin.between`. */
  constructor(
    private readonly left: KeyedStream<T1, K>,
    private readonly right: KeyedStream<T2, K>,
    private readonly lowerBound: number,
    private readonly upperBound: number,
  ) {}

  /** Excludes the lower bound: `r.ts > l.ts + lowerBound`. */
  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }

  /** Excludes the upper bound: `r.ts < l.ts + upperBound`. */
  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }

  /** Sends left elements that arrive behind the watermark to the side output `tag` (else they are dropped). */
  sideOutputLeftLateData(tag: OutputTag<T1>): this {
    this.leftLateTag = tag.id;
    return this;
  }

  /** Sends right elements that arrive behind the watermark to the side output `tag` (else they are dropped). */
  sideOutputRightLateData(tag: OutputTag<T2>): this {
    this.rightLateTag = tag.id;
    return this;
  }

  /** Calls `fn` once per joined pair; results carry the larger of both timestamps. */
  process<R>(fn: ProcessJoinFunctionLike<T1, T2, R>): SingleOutputStreamOperator<R> {
    requireFunctionOrMethod('intervalJoin().process', fn, 'processElement');
    const settings: IntervalJoinSettings = {
      lowerBound: this.lowerBound,
      upperBound: this.upperBound,
      lowerBoundInclusive: this.lowerInclusive,
      upperBoundInclusive: this.upperInclusive,
    };
    if (this.leftLateTag !== undefined) settings.leftLateDataTag = this.leftLateTag;
    if (this.rightLateTag !== undefined) settings.rightLateDataTag = this.rightLateTag;
    return addTwoInputOperator<R>(this.left.context, this.left.nodeId, this.right.nodeId, {
      kind: 'intervalJoin',
      name: 'Interval Join',
      userFunction: fn,
      keyed: true,
      keySelectors: [this.left.getKeySelector(), this.right.getKeySelector()] as never,
      settings: { ...settings },
    });
  }
}
