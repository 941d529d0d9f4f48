/**
 * An unbounded group aggregation with retraction (Flink SQL's GroupAggFunction): per key one
 * accumulator in keyed state; every record updates it, and the key's result row is re-emitted
 * as `-U` (the previous result) and `+U` (the new one) — `+I` for the key's first row. The
 * accumulator lives in a ValueState, so keep it small (counts, sums, extremes); distinct
 * counts over large sets belong in MapState of a dedicated function.
 *
 * ```ts
 * bids.keyBy((b) => b.auction).process(new GroupAggregateFunction({
 *   createAccumulator: () => ({ n: 0 }),
 *   add: (b, acc) => { acc.n++; return acc; },
 *   getResult: (acc, auction) => ({ auction, bids: acc.n }),
 * }))
 * ```
 */
import { type Collector, KeyedProcessFunction } from '../../common/functions.js';
import type { KeyedProcessContext } from '../../common/functions.js';
import type { ValueState } from '../../common/runtime-context.js';
import { ValueStateDescriptor } from '../../common/state-descriptors.js';
import type { Change } from './row-kind.js';

/** The aggregation a {@link GroupAggregateFunction} runs per key. */
export interface GroupAggregation<K, IN, ACC, OUT> {
  createAccumulator(): ACC;
  /** Folds `value` into `acc` (may mutate and return it). */
  add(value: IN, acc: ACC): ACC;
  /** The key's result row. */
  getResult(acc: ACC, key: K): OUT;
}

/** Options of {@link GroupAggregateFunction}. */
export interface GroupAggregateOptions {
  /** Emit nothing when the key's result did not change (Flink's default: true). */
  suppressUnchanged?: boolean;
}

/** Per-key aggregation emitting its updates as a changelog. */
export class GroupAggregateFunction<K, IN, ACC, OUT> extends KeyedProcessFunction<K, IN, Change<OUT>> {
  private acc!: ValueState<{ acc: ACC; result: OUT }>;
  private readonly suppressUnchanged: boolean;

  constructor(
    private readonly aggregation: GroupAggregation<K, IN, ACC, OUT>,
    options: GroupAggregateOptions = {},
  ) {
    super();
    this.suppressUnchanged = options.suppressUnchanged ?? true;
  }

  override open(): void {
    this.acc = this.getRuntimeContext().getState(new ValueStateDescriptor<{ acc: ACC; result: OUT }>('group-aggregate'));
  }

  processElement(value: IN, ctx: KeyedProcessContext<K>, out: Collector<Change<OUT>>): void {
    const current = this.acc.value();
    const key = ctx.getCurrentKey();
    if (current === undefined) {
      const acc = this.aggregation.add(value, this.aggregation.createAccumulator());
      const result = this.aggregation.getResult(acc, key);
      this.acc.update({ acc, result });
      out.collect({ kind: '+I', row: result });
      return;
    }
    const acc = this.aggregation.add(value, current.acc);
    const result = this.aggregation.getResult(acc, key);
    const previous = current.result;
    this.acc.update({ acc, result });
    if (this.suppressUnchanged && sameRow(previous, result)) return;
    out.collect({ kind: '-U', row: previous });
    out.collect({ kind: '+U', row: result });
  }
}

function sameRow(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  return true;
}
