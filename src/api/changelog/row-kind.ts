/**
 * Folding a changelog ({@link Change} records, Flink's RowKind) into the rows it leaves.
 */
import type { Change } from '../../common/row-kind.js';

export type { Change, RowKind } from '../../common/row-kind.js';

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
