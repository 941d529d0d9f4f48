/**
 * Changelog records, as Flink's RowKind marks the rows of an updating (retracting) stream:
 * `+I` insert, `-U` the row an update replaces, `+U` the row replacing it, `-D` delete. The
 * updating operators (group aggregate, deduplication, top-N) and the change-data-capture
 * sources emit them; a sink applying them in order ends with the current result.
 */

/** Flink's RowKind, by its short string (`RowKind.shortString()` in Flink). */
export type RowKind = '+I' | '-U' | '+U' | '-D';

/** One changelog record: what happened to `row`. */
export interface Change<T> {
  kind: RowKind;
  row: T;
}
