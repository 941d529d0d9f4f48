/**
 * SQL text of the PostgreSQL sink: quoted identifiers, and the multi-row INSERT (plain, or
 * upsert with `ON CONFLICT (key) DO UPDATE`) for a batch of rows, with the batch's values as
 * parameters. A batch larger than the protocol's 65 535 parameters is cut into statements.
 */
import { InvalidArgumentError } from '../../core/errors.js';

/** PostgreSQL's limit on the parameters of one statement. */
const MAX_PARAMETERS = 65_535;

/** `name` as a quoted identifier. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new InvalidArgumentError(`not a valid SQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** A possibly schema-qualified table name (`schema.table`) as quoted identifiers. */
export function quoteTable(table: string): string {
  const parts = table.split('.');
  if (parts.length > 2) throw new InvalidArgumentError(`table name ${JSON.stringify(table)}: expected table or schema.table`);
  return parts.map(quoteIdent).join('.');
}

/** How rows are written. */
export interface WriteStatement {
  readonly table: string;
  readonly columns: readonly string[];
  /** Upsert when set: the conflict target (a primary key or unique constraint's columns). */
  readonly keyColumns?: readonly string[];
}

/** Rows of one statement at most, for `columns` columns. */
export function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMETERS / columns));
}

/** The text of the statement writing `rows` rows. */
export function insertSql(s: WriteStatement, rows: number): string {
  const n = s.columns.length;
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ps: string[] = [];
    for (let c = 1; c <= n; c++) ps.push(`$${r * n + c}`);
    values.push(`(${ps.join(',')})`);
  }
  let sql = `INSERT INTO ${quoteTable(s.table)} (${s.columns.map(quoteIdent).join(',')}) VALUES ${values.join(',')}`;
  if (s.keyColumns && s.keyColumns.length > 0) {
    const keys = new Set(s.keyColumns);
    const rest = s.columns.filter((c) => !keys.has(c));
    sql += ` ON CONFLICT (${s.keyColumns.map(quoteIdent).join(',')}) `;
    sql += rest.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${rest.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
  }
  return sql;
}

/** The statement deleting rows by key, for `rows` keys. */
export function deleteSql(s: WriteStatement, rows: number): string {
  const keys = s.keyColumns ?? [];
  const n = keys.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${keys.map((_, c) => `$${r * n + c + 1}`).join(',')})`);
  return `DELETE FROM ${quoteTable(s.table)} WHERE (${keys.map(quoteIdent).join(',')}) IN (${tuples.join(',')})`;
}
