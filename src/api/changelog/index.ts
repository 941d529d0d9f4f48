/** Updating (changelog) operators of the DataStream API: group aggregation, deduplication, top-N. */
export { applyChangelog, type Change, type RowKind } from './row-kind.js';
export { GroupAggregateFunction, type GroupAggregation, type GroupAggregateOptions } from './group-aggregate-function.js';
export { DeduplicateFunction } from './deduplicate-function.js';
export { TopNFunction, type Ranked } from './top-n-function.js';
