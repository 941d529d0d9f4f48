/**
 * One sink writer's connection and row buffer: rows are buffered and written in batches (by
 * size, by time, on flush) through one serial chain of statements, so writes never overlap and
 * their order is the records' order. A failed write is kept and thrown by the next `add` or
 * `flush`: the task fails and restarts under its strategy (a restarted server is reconnected
 * then; exactly-once writers recover their prepared transactions). At most
 * {@link MAX_QUEUED_BATCHES} full batches wait for the server: beyond that the writer reports
 * itself unavailable and the task stops reading input (backpressure), so memory stays bounded
 * by the batch size.
 */
import type pg from 'pg';
import type { FlussError } from '../../core/errors.js';
import { connectPostgres, describeServer, postgresError } from './postgres-connection.js';
import { quoteIdent, quoteTable } from './postgres-sql.js';
import { RowBatch } from './row-batch.js';
import type { PostgresSinkSpec } from './postgres-sink.js';

/** Batches written or waiting to be written before the writer stops taking records. */
export const MAX_QUEUED_BATCHES = 2;

/** A writer's connection with its batch. */
export class BatchingConnection<T> {
  private client: pg.Client | undefined;
  private readonly batch: RowBatch;
  private chain: Promise<void> = Promise.resolve();
  private failure: FlussError | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Statements run since the last {@link markTransaction} (exactly-once: BEGIN is due). */
  private inTransaction = false;
  /** Batches handed to the statement chain and not written yet. */
  private queuedBatches = 0;
  private availabilityWaiters: (() => void)[] = [];
  readonly server: string;

  constructor(
    private readonly spec: PostgresSinkSpec<T>,
    private readonly who: string,
    /** Exactly-once: batches go into an explicit transaction that the caller prepares. */
    private readonly transactional: boolean,
  ) {
    this.batch = new RowBatch({ table: spec.table, columns: spec.columns, keyColumns: spec.keyColumns });
    this.server = describeServer(spec.connection);
  }

  /** Connects and checks that the table and columns exist (one line if not). */
  async open(): Promise<void> {
    const what = `${this.spec.name} ${this.who}`;
    this.client = await connectPostgres(this.spec.connection, what, (err) => {
      this.failure ??= err;
    });
    try {
      await this.client.query(`SELECT ${this.spec.columns.map(quoteIdent).join(',')} FROM ${quoteTable(this.spec.table)} LIMIT 0`);
    } catch (err) {
      throw postgresError(err, what, this.server);
    }
  }

  /** The connection (after {@link open}). */
  get connection(): pg.Client {
    return this.client!;
  }

  /** Buffers one record; writes a batch once `batchSize` rows are buffered. */
  add(value: T): void {
    if (this.failure) throw this.failure;
    const row = this.spec.toRow(value);
    const del = this.spec.isDelete ? this.spec.isDelete(value) : false;
    this.batch.add(row, del);
    if (this.batch.size >= this.spec.batchSize) this.writeOut();
    else if (this.timer === undefined && this.spec.batchIntervalMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.batch.size > 0) this.writeOut();
      }, this.spec.batchIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * False while {@link MAX_QUEUED_BATCHES} batches wait for the server (the task stops reading
   * input then). True after a failure, so the next `add` throws it at once.
   */
  isAvailable(): boolean {
    return this.failure !== undefined || this.queuedBatches < MAX_QUEUED_BATCHES;
  }

  /** Resolves once {@link isAvailable} holds again. */
  whenAvailable(): Promise<void> {
    if (this.isAvailable()) return Promise.resolve();
    return new Promise((resolve) => this.availabilityWaiters.push(resolve));
  }

  /** Rows added since the last write. */
  get buffered(): number {
    return this.batch.size;
  }

  /** Writes what is buffered; resolves when every write so far is done. */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.batch.size > 0) this.writeOut();
    return this.chain.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /**
   * Runs `step` after the writes queued so far (e.g. PREPARE TRANSACTION); the next batch of
   * a transactional connection begins a new transaction.
   */
  then(step: (client: pg.Client) => Promise<void>): Promise<void> {
    if (this.batch.size > 0) this.writeOut();
    // Set now, not when `step` ran: batches added meanwhile belong to the next transaction.
    this.inTransaction = false;
    return this.enqueue(() => step(this.client!));
  }

  /** True once a statement of the current transaction was queued. */
  get transactionStarted(): boolean {
    return this.inTransaction;
  }

  private writeOut(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const pending = this.batch.take();
    const begin = this.transactional && !this.inTransaction;
    if (this.transactional) this.inTransaction = true;
    this.queuedBatches++;
    void this.enqueue(async () => {
      const client = this.client!;
      if (begin) await client.query('BEGIN');
      await pending.writeTo(client);
    }).finally(() => this.batchDone());
  }

  private batchDone(): void {
    this.queuedBatches--;
    if (!this.isAvailable() || this.availabilityWaiters.length === 0) return;
    const waiters = this.availabilityWaiters;
    this.availabilityWaiters = [];
    for (const w of waiters) w();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.failure) throw this.failure;
      try {
        await step();
      } catch (err) {
        this.failure ??= postgresError(err, `${this.spec.name} ${this.who}: writing to ${this.spec.table} failed`, this.server);
        throw this.failure;
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer and closes the connection (an open transaction rolls back). */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
