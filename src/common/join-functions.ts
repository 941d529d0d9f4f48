/**
 * Functions of joins: {@link ProcessJoinFunction} for interval joins, {@link JoinFunction},
 * {@link FlatJoinFunction} and {@link CoGroupFunction} for window joins and co-groups
 * (Flink's interfaces of the same names).
 */
import { AbstractRichFunction, type Collector, type RichFunction } from './functions.js';
import type { OutputTag } from './output-tag.js';

/** Context of a joined pair in an interval join. */
export interface ProcessJoinContext {
  /** Timestamp of the left (first input's) element. */
  getLeftTimestamp(): number;
  /** Timestamp of the right (second input's) element. */
  getRightTimestamp(): number;
  /** Timestamp of the joined result: the larger of both. */
  timestamp(): number;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Processes each pair of an interval join (a class, or a lambda `(left, right, ctx, out) => …`). */
export abstract class ProcessJoinFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>): void;
}

/** A lambda or object accepted where a ProcessJoinFunction is expected. */
export type ProcessJoinFunctionLike<IN1, IN2, OUT> =
  | ProcessJoinFunction<IN1, IN2, OUT>
  | ((left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>) => void)
  | (RichFunction & { processElement(left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>): void });

/** Joins one pair of a window join into one result. */
export type JoinFunction<IN1, IN2, OUT> = ((first: IN1, second: IN2) => OUT) | (RichFunction & { join(first: IN1, second: IN2): OUT });

/** Joins one pair of a window join into any number of results. */
export type FlatJoinFunction<IN1, IN2, OUT> =
  | ((first: IN1, second: IN2, out: Collector<OUT>) => void)
  | (RichFunction & { join(first: IN1, second: IN2, out: Collector<OUT>): void });

/** Receives, per key and window, every element of both inputs (either side may be empty). */
export type CoGroupFunction<IN1, IN2, OUT> =
  | ((first: Iterable<IN1>, second: Iterable<IN2>, out: Collector<OUT>) => void)
  | (RichFunction & { coGroup(first: Iterable<IN1>, second: Iterable<IN2>, out: Collector<OUT>): void });
