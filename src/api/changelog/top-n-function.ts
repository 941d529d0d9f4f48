/**
 * Top-N per key (Flink SQL's ROW_NUMBER() OVER (PARTITION BY … ORDER BY …) WHERE rn <= N, the
 * append-input rank function with the rank number in the output): keeps the N best rows of
 * each key, ordered by `compare` (negative: the first argument ranks higher; ties keep arrival
 * order). A row entering the top N shifts the rows below it one rank down: every rank whose
 * row changed is re-emitted as `-U` (old row at that rank) and `+U` (new row), a rank filled
 * for the first time as `+I`. Rows that do not enter the top N cost a comparison with the
 * current N-th row and no state write.
 *
 * ```ts
 * // ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) <= 10
 * bids.keyBy((b) => b.auction).process(new TopNFunction(10, (a, b) => b.price - a.price))
 * ```
 */
import { type Collector, KeyedProcessFunction } from '../../common/functions.js';
import type { KeyedProcessContext } from '../../common/functions.js';
import type { ValueState } from '../../common/runtime-context.js';
import { ValueStateDescriptor } from '../../common/state-descriptors.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Change } from './row-kind.js';

/** A row with its rank (1-based), as the rank function's output. */
export interface Ranked<T> {
  row: T;
  rank: number;
}

/** The N best rows of every key, as a changelog of ranked rows. */
export class TopNFunction<K, T> extends KeyedProcessFunction<K, T, Change<Ranked<T>>> {
  private top!: ValueState<T[]>;

  constructor(
    private readonly n: number,
    private readonly compare: (a: T, b: T) => number,
  ) {
    super();
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`TopNFunction: N must be a positive integer, got ${n}`);
  }

  override open(): void {
    this.top = this.getRuntimeContext().getState(new ValueStateDescriptor<T[]>('top-n'));
  }

  processElement(row: T, _ctx: KeyedProcessContext<K>, out: Collector<Change<Ranked<T>>>): void {
    const top = this.top.value() ?? [];
    // Full and not better than the last kept row: nothing changes.
    if (top.length === this.n && this.compare(row, top[top.length - 1]!) >= 0) return;
    // Insert after every row that ranks higher or equal (ties keep arrival order).
    let at = top.length;
    while (at > 0 && this.compare(row, top[at - 1]!) < 0) at--;
    const before = top.slice(at);
    top.splice(at, 0, row);
    if (top.length > this.n) top.length = this.n;
    this.top.update(top);
    for (let i = at; i < top.length; i++) {
      const old = before[i - at];
      if (old === undefined) {
        out.collect({ kind: '+I', row: { row: top[i]!, rank: i + 1 } });
      } else {
        out.collect({ kind: '-U', row: { row: old, rank: i + 1 } });
        out.collect({ kind: '+U', row: { row: top[i]!, rank: i + 1 } });
      }
    }
  }
}
