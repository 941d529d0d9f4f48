/**
 * Deduplication per key (Flink SQL's ROW_NUMBER() … WHERE rn = 1 on a time attribute, the
 * RowTimeDeduplicateFunction): keeps the first or the last row of each key by an ordering
 * time. Keep-last replaces the kept row by a row whose time is later or equal (`-U` old, `+U`
 * new); keep-first only ever emits the key's earliest row (`+I`, and `-U`/`+U` when an earlier
 * one arrives out of order).
 *
 * ```ts
 * // SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) rn FROM bid) WHERE rn <= 1
 * bids.keyBy((b) => `${b.bidder}/${b.auction}`).process(new DeduplicateFunction('last', (b) => b.dateTime))
 * ```
 */
import { type Collector, KeyedProcessFunction } from '../../common/functions.js';
import type { KeyedProcessContext } from '../../common/functions.js';
import type { ValueState } from '../../common/runtime-context.js';
import { ValueStateDescriptor } from '../../common/state-descriptors.js';
import type { Change } from './row-kind.js';

/** Keeps the first or the last row of every key, by `timeOf`. */
export class DeduplicateFunction<K, T> extends KeyedProcessFunction<K, T, Change<T>> {
  private kept!: ValueState<T>;

  constructor(
    private readonly keep: 'first' | 'last',
    private readonly timeOf: (row: T) => number,
  ) {
    super();
  }

  override open(): void {
    this.kept = this.getRuntimeContext().getState(new ValueStateDescriptor<T>('deduplicate'));
  }

  processElement(row: T, _ctx: KeyedProcessContext<K>, out: Collector<Change<T>>): void {
    const kept = this.kept.value();
    if (kept === undefined) {
      this.kept.update(row);
      out.collect({ kind: '+I', row });
      return;
    }
    const t = this.timeOf(row);
    const replaces = this.keep === 'last' ? t >= this.timeOf(kept) : t < this.timeOf(kept);
    if (!replaces) return;
    this.kept.update(row);
    out.collect({ kind: '-U', row: kept });
    out.collect({ kind: '+U', row });
  }
}
