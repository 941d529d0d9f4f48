/** Counting aggregate shared by the windowed queries. */
import type { AggregateFunction } from 'fluss';

/** COUNT(*). */
export const countAggregate: AggregateFunction<unknown, number, number> = {
  createAccumulator: () => 0,
  add: (_value, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};
