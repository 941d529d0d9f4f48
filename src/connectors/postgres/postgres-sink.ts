/**
 * Writes records into a PostgreSQL table (Flink's JDBC sink for PostgreSQL):
 *
 * - **insert** mode (`INSERT`), or **upsert** mode when key columns are set
 *   (`INSERT … ON CONFLICT (key) DO UPDATE`; a record the `isDelete` test accepts deletes its key);
 * - rows are batched: a batch is written once it holds `batchSize` rows or `batchIntervalMs`
 *   after its first row, never one statement per record;
 * - delivery: `AT_LEAST_ONCE` (default) writes every batch in its own transaction and flushes
 *   at each checkpoint's barrier (replays after a failure write rows again: idempotent in
 *   upsert mode); `EXACTLY_ONCE` writes each checkpoint's rows in one transaction that is
 *   prepared at the barrier (`PREPARE TRANSACTION`) and committed (`COMMIT PREPARED`) once the
 *   checkpoint completes — see {@link PostgresExactlyOnceWriter} for ids and recovery; `NONE`
 *   does not flush at the barrier.
 *
 * @example
 * stream.sinkTo(PostgresSink.builder<Total>()
 *   .setConnection({ url: 'postgres://app:secret@db:5432/shop' })
 *   .setTable('totals').setColumns(['customer', 'window_end', 'total'])
 *   .setKeyColumns(['customer', 'window_end'])
 *   .setDeliveryGuarantee('EXACTLY_ONCE')
 *   .build());
 */
import type { SinkContext } from '../../common/functions.js';
import type { StateSnapshotContext } from '../../common/checkpoint-hooks.js';
import type { Sink, SinkWriter, SinkWriterContext } from '../../common/sink.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { checkConnectionOptions, type PostgresConnectionOptions } from './postgres-connection.js';
import { PostgresExactlyOnceWriter } from './postgres-exactly-once-writer.js';
import { BatchingConnection } from './batching-connection.js';
import { quoteTable } from './postgres-sql.js';

/** Flink's DeliveryGuarantee. */
export type PostgresDeliveryGuarantee = 'EXACTLY_ONCE' | 'AT_LEAST_ONCE' | 'NONE';

/** Everything a writer needs (plain data and functions; shared by the subtasks' writers). */
export interface PostgresSinkSpec<T> {
  readonly connection: PostgresConnectionOptions;
  readonly table: string;
  readonly columns: readonly string[];
  readonly keyColumns: readonly string[] | undefined;
  readonly toRow: (value: T) => unknown[];
  readonly isDelete: ((value: T) => boolean) | undefined;
  readonly batchSize: number;
  readonly batchIntervalMs: number;
  readonly guarantee: PostgresDeliveryGuarantee;
  /** Prefix of prepared transactions' ids (exactly-once); unique per job and sink. */
  readonly transactionIdPrefix: string | undefined;
  /** Sink name for messages. */
  readonly name: string;
}

/** A sink writing rows into a PostgreSQL table. */
export class PostgresSink<T> implements Sink<T> {
  /** @internal use {@link PostgresSink.builder}. */
  constructor(readonly spec: PostgresSinkSpec<T>) {}

  /** Starts a builder. */
  static builder<T>(): PostgresSinkBuilder<T> {
    return new PostgresSinkBuilder<T>();
  }

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    return this.spec.guarantee === 'EXACTLY_ONCE' ? new PostgresExactlyOnceWriter<T>(this.spec, ctx) : new PostgresBatchWriter<T>(this.spec, ctx);
  }
}

/** Builds a {@link PostgresSink}. */
export class PostgresSinkBuilder<T> {
  private connection: PostgresConnectionOptions | undefined;
  private table: string | undefined;
  private columns: string[] | undefined;
  private keyColumns: string[] | undefined;
  private toRow: ((value: T) => unknown[] | Record<string, unknown>) | undefined;
  private isDelete: ((value: T) => boolean) | undefined;
  private batchSize = 1000;
  private batchIntervalMs = 200;
  private guarantee: PostgresDeliveryGuarantee = 'AT_LEAST_ONCE';
  private prefix: string | undefined;

  /** The server and credentials. */
  setConnection(options: PostgresConnectionOptions): this {
    this.connection = options;
    return this;
  }

  /** The target table (`table` or `schema.table`). */
  setTable(table: string): this {
    this.table = table;
    return this;
  }

  /** The columns written, in order. */
  setColumns(columns: string[]): this {
    this.columns = [...columns];
    return this;
  }

  /** Upsert mode: the columns of the table's primary key or a unique constraint. */
  setKeyColumns(columns: string[]): this {
    this.keyColumns = [...columns];
    return this;
  }

  /** Turns a record into its column values (an array in column order, or an object by column name); default: `record[column]`. */
  setRowMapper(mapper: (value: T) => unknown[] | Record<string, unknown>): this {
    this.toRow = mapper;
    return this;
  }

  /** Upsert mode: records for which `test` holds delete their key's row. */
  setIsDelete(test: (value: T) => boolean): this {
    this.isDelete = test;
    return this;
  }

  /** Rows per batch (default 1000). */
  setBatchSize(rows: number): this {
    this.batchSize = rows;
    return this;
  }

  /** Longest time a row waits for its batch, in ms (default 200). */
  setBatchIntervalMs(ms: number): this {
    this.batchIntervalMs = ms;
    return this;
  }

  /** `EXACTLY_ONCE`, `AT_LEAST_ONCE` (default) or `NONE`. */
  setDeliveryGuarantee(guarantee: PostgresDeliveryGuarantee): this {
    this.guarantee = guarantee;
    return this;
  }

  /**
   * Exactly-once: the prefix of the prepared transactions' ids (Flink's transactional id
   * prefix); must be unique among the jobs writing to the server. Default: `fluss-<table>`.
   */
  setTransactionIdPrefix(prefix: string): this {
    this.prefix = prefix;
    return this;
  }

  build(): PostgresSink<T> {
    const connection = checkConnectionOptions(this.connection, 'PostgresSink');
    const table = this.table;
    if (!table) throw new InvalidArgumentError('PostgresSink: no table (call setTable)');
    quoteTable(table);
    const columns = this.columns;
    if (!columns || columns.length === 0) throw new InvalidArgumentError(`PostgresSink for ${table}: no columns (call setColumns)`);
    if (new Set(columns).size !== columns.length) throw new InvalidArgumentError(`PostgresSink for ${table}: a column is listed twice`);
    const keys = this.keyColumns;
    if (keys) {
      if (keys.length === 0) throw new InvalidArgumentError(`PostgresSink for ${table}: setKeyColumns needs at least one column`);
      for (const k of keys) if (!columns.includes(k)) throw new InvalidArgumentError(`PostgresSink for ${table}: key column ${JSON.stringify(k)} is not among the columns`);
    }
    if (this.isDelete && !keys) throw new InvalidArgumentError(`PostgresSink for ${table}: deletes need key columns (setKeyColumns)`);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new InvalidArgumentError(`PostgresSink for ${table}: batch size must be a positive integer, got ${this.batchSize}`);
    if (!(this.batchIntervalMs >= 0)) throw new InvalidArgumentError(`PostgresSink for ${table}: batch interval must be >= 0 ms, got ${this.batchIntervalMs}`);
    if (!['EXACTLY_ONCE', 'AT_LEAST_ONCE', 'NONE'].includes(this.guarantee)) {
      throw new InvalidArgumentError(`PostgresSink for ${table}: delivery guarantee must be EXACTLY_ONCE, AT_LEAST_ONCE or NONE, got ${JSON.stringify(this.guarantee)}`);
    }
    const mapper = this.toRow;
    const toRow = (value: T): unknown[] => {
      const r = mapper ? mapper(value) : (value as Record<string, unknown>);
      if (Array.isArray(r)) return r;
      if (typeof r !== 'object' || r === null) throw new InvalidArgumentError(`PostgresSink for ${table}: a record must map to an array or an object, got ${typeof r}`);
      return columns.map((c) => (r as Record<string, unknown>)[c] ?? null);
    };
    return new PostgresSink<T>({
      connection,
      table,
      columns,
      keyColumns: keys,
      toRow,
      isDelete: this.isDelete,
      batchSize: this.batchSize,
      batchIntervalMs: this.batchIntervalMs,
      guarantee: this.guarantee,
      transactionIdPrefix: this.prefix ?? `fluss-${table}`,
      name: `PostgresSink(${table})`,
    });
  }
}

/** At-least-once (and NONE) writer: batches in their own transactions; flush at the barrier. */
class PostgresBatchWriter<T> implements SinkWriter<T> {
  private readonly out: BatchingConnection<T>;

  constructor(
    private readonly spec: PostgresSinkSpec<T>,
    ctx: SinkWriterContext,
  ) {
    this.out = new BatchingConnection<T>(spec, `${ctx.operatorName} (subtask ${ctx.subtaskIndex})`, false);
  }

  initializeState(): Promise<void> {
    return this.out.open();
  }

  write(value: T, _ctx: SinkContext): void {
    this.out.add(value);
  }

  isAvailable(): boolean {
    return this.out.isAvailable();
  }

  whenAvailable(): Promise<void> {
    return this.out.whenAvailable();
  }

  snapshotState(_ctx: StateSnapshotContext): Promise<void> | void {
    if (this.spec.guarantee === 'NONE') return;
    return this.out.flush();
  }

  async flush(_endOfInput: boolean): Promise<void> {
    await this.out.flush();
  }

  async close(): Promise<void> {
    await this.out.close();
  }
}
