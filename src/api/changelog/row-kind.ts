/**
 * Changelog records, as Flink's RowKind marks the rows of an updating (retracting) stream:
 * `+I` insert, `-U` the row an update replaces, `+U` the row replacing it, `-D` delete. The
 * updating operators of this folder (group aggregate, deduplication, top-N) emit a
 * {@link Change} per row; a sink applying them in order ends with the operator's current result.
 */

/** Flink's RowKind, by its short string. */
export type RowKind = '+I' | '-U' | '+U' | '-D';

/** One changelog record: what happened to `row`. */
export interface Change<T> {
  kind: RowKind;
  row: T;
}

/**
 * Applies a changelog to a multiset of rows (identified by `identity`, default their JSON):
 * `+I`/`+U` add a row, `-U`/`-D` remove one. Returns the rows left: the final result of an
 * updating query.
 */
export function applyChangelog<T>(changes: Iterable<Change<T>>, identity: (row: T) => string = (r) => JSON.stringify(r)): T[] {
  const rows = new Map<string, { row: T; count: number }>();
  for (const c of changes) {
    const id = identity(c.row);
    const e = rows.get(id);
    if (c.kind === '+I' || c.kind === '+U') {
      if (e) e.count++;
      else rows.set(id, { row: c.row, count: 1 });
    } else if (e) {
      if (--e.count === 0) rows.delete(id);
    }
  }
  const out: T[] = [];
  for (const { row, count } of rows.values()) for (let i = 0; i < count; i++) out.push(row);
  return out;
}
