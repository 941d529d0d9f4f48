/**
 * The rows a PostgreSQL sink writer holds between two writes, and how a batch is written.
 * In upsert mode a batch keeps one change per key (the last: an upsert, or a delete), as
 * Flink's JDBC sink reduces its buffer by key — one `INSERT … ON CONFLICT DO UPDATE` cannot
 * touch a row twice, and the table ends the same.
 */
import type pg from 'pg';
import { deleteSql, insertSql, rowsPerStatement, type WriteStatement } from './postgres-sql.js';

/** One buffered change. */
interface Change {
  del: boolean;
  row: unknown[];
}

/** The buffered rows of one writer. */
export class RowBatch {
  private plain: unknown[][] = [];
  private byKey = new Map<string, Change>();
  private readonly keyIndexes: number[] | undefined;

  constructor(private readonly statement: WriteStatement) {
    const keys = statement.keyColumns;
    this.keyIndexes = keys && keys.length > 0 ? keys.map((k) => statement.columns.indexOf(k)) : undefined;
  }

  /** Rows (or distinct keys) buffered. */
  get size(): number {
    return this.keyIndexes ? this.byKey.size : this.plain.length;
  }

  /** Buffers `row` (values in column order); `del` deletes its key (upsert mode only). */
  add(row: unknown[], del: boolean): void {
    const idx = this.keyIndexes;
    if (!idx) {
      this.plain.push(row);
      return;
    }
    let key = '';
    for (const i of idx) key += keyPart(row[i]);
    this.byKey.set(key, { del, row });
  }

  /** Takes the buffered rows out, as a batch to write. */
  take(): PendingBatch {
    const batch = new PendingBatch(this.statement, this.plain, this.byKey);
    this.plain = [];
    this.byKey = new Map();
    return batch;
  }
}

function keyPart(v: unknown): string {
  if (v instanceof Date) return `d${v.getTime()}\u0000`;
  if (typeof v === 'bigint') return `n${v}\u0000`;
  return `${typeof v}${String(v)}\u0000`;
}

/** Rows taken from a {@link RowBatch}, to be written in one or a few statements. */
export class PendingBatch {
  constructor(
    private readonly statement: WriteStatement,
    private readonly plain: unknown[][],
    private readonly byKey: Map<string, Change>,
  ) {}

  get size(): number {
    return this.plain.length + this.byKey.size;
  }

  /** Writes the rows through `client` (statements named per size, so PostgreSQL plans each once). */
  async writeTo(client: pg.Client): Promise<void> {
    const s = this.statement;
    let rows = this.plain;
    const deletes: unknown[][] = [];
    if (this.byKey.size > 0) {
      rows = [];
      const keys = s.keyColumns!.map((k) => s.columns.indexOf(k));
      for (const c of this.byKey.values()) {
        if (c.del) deletes.push(keys.map((i) => c.row[i]));
        else rows.push(c.row);
      }
    }
    await runChunked(client, rows, s.columns.length, 'w', (n) => insertSql(s, n));
    await runChunked(client, deletes, s.keyColumns?.length ?? 1, 'd', (n) => deleteSql(s, n));
  }
}

async function runChunked(client: pg.Client, rows: unknown[][], width: number, kind: string, sql: (n: number) => string): Promise<void> {
  const per = rowsPerStatement(width);
  for (let start = 0; start < rows.length; start += per) {
    const chunk = rows.slice(start, start + per);
    const values: unknown[] = [];
    for (const r of chunk) for (const v of r) values.push(v);
    await client.query({ name: `fluss_${kind}_${chunk.length}`, text: sql(chunk.length), values });
  }
}
