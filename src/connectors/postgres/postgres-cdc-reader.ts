/**
 * The reader of {@link PostgresCdcSource}: sets up publication and slot, reads the snapshot
 * through a cursor in a transaction importing the slot's exported snapshot, then streams the
 * slot. Everything arrives into one queue (bounded: the snapshot waits and the replication
 * socket pauses when it is full) that `pollNext` drains in order, so the position always
 * describes exactly what went out.
 */
import type pg from 'pg';
import type { InputStatus, ReaderOutput, SourceReader } from '../../common/source.js';
import { FailedPreconditionError, type FlussError, NotFoundError } from '../../core/errors.js';
import { formatLsn, parseLsn, PgOutputDecoder, type Lsn, type ReplicationFrame } from './pgoutput.js';
import { connectPostgres, describeServer, postgresError } from './postgres-connection.js';
import type { ChangeRow, PostgresCdcSpec } from './postgres-cdc-source.js';
import { quoteIdent } from './postgres-sql.js';
import { ReplicationStream } from './replication-stream.js';

/** The checkpointed position: restart LSN, and the changes of the transaction in progress already emitted. */
export interface CdcPosition {
  lsn: string;
  /** Final LSN of the transaction in progress, when a checkpoint fell inside one. */
  txn?: string;
  emitted?: number;
}

type Item =
  | { t: 'row'; rec: ChangeRow }
  | { t: 'begin'; finalLsn: Lsn }
  | { t: 'change'; rec: ChangeRow }
  | { t: 'commit'; endLsn: Lsn }
  | { t: 'progress'; lsn: Lsn }
  | { t: 'snapshot-done'; lsn: Lsn };

export class PostgresCdcReader implements SourceReader<ChangeRow> {
  private queue: Item[] = [];
  private head = 0;
  private failure: FlussError | undefined;
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;
  private restored: CdcPosition | undefined;
  private snapshotting = false;
  private lastEnd: Lsn = 0n;
  private txnFinal: Lsn | undefined;
  private emittedInTxn = 0;
  private skip: { finalLsn: Lsn; n: number } | undefined;
  private skipping = 0;
  private stream: ReplicationStream | undefined;
  private clients: pg.Client[] = [];
  private paused = false;
  private closed = false;
  private readonly decoder = new PgOutputDecoder();
  private readonly server: string;
  private readonly tables: Set<string>;

  constructor(
    private readonly spec: PostgresCdcSpec,
    private readonly name: string,
  ) {
    this.server = describeServer(spec.connection);
    this.tables = new Set(spec.tables);
  }

  restoreState(state: unknown): void {
    this.restored = state as CdcPosition;
  }

  async start(): Promise<void> {
    const onError = (err: FlussError) => this.fail(err);
    const sql = await connectPostgres(this.spec.connection, this.name, onError);
    this.clients.push(sql);
    await this.checkTables(sql);
    await this.ensurePublication(sql);
    const stream = (this.stream = new ReplicationStream(this.spec.connection, this.name, this.server, onError));
    await stream.connect();
    const slot = this.spec.slotName;
    const exists = (await this.query(sql, 'SELECT active, confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0] as
      | { active: boolean; confirmed: string | null }
      | undefined;
    if (this.restored) {
      if (!exists) throw new FailedPreconditionError(`${this.name}: replication slot ${slot} on ${this.server} is gone: the changes after the restored position ${this.restored.lsn} cannot be read again`);
      this.lastEnd = parseLsn(this.restored.lsn);
      if (exists.confirmed !== null && parseLsn(exists.confirmed) > this.lastEnd) {
        throw new FailedPreconditionError(
          `${this.name}: replication slot ${slot} on ${this.server} already released the changes up to ${exists.confirmed}, after the restored position ${this.restored.lsn} (a restore from an older savepoint?): they cannot be read again`,
        );
      }
      if (this.restored.txn !== undefined) this.skip = { finalLsn: parseLsn(this.restored.txn), n: this.restored.emitted ?? 0 };
      this.startStreaming(this.lastEnd);
      return;
    }
    // A start without state: a new slot, so the snapshot and the stream meet exactly.
    if (exists) await this.query(sql, 'SELECT pg_drop_replication_slot($1)', [slot]);
    const created = await stream.createSlot(slot, this.spec.startupMode === 'initial');
    this.lastEnd = created.consistentPoint;
    if (this.spec.startupMode === 'latest') {
      this.startStreaming(created.consistentPoint);
      return;
    }
    this.snapshotting = true;
    const snap = await connectPostgres(this.spec.connection, this.name, onError);
    this.clients.push(snap);
    await this.query(snap, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await this.query(snap, `SET TRANSACTION SNAPSHOT '${created.snapshotName!}'`);
    // The snapshot is imported: read it in the background; the stream starts once it is read.
    void this.readSnapshot(snap, created.consistentPoint).catch((err: unknown) => this.fail(postgresError(err, `${this.name}: snapshot`, this.server)));
  }

  private async query(c: pg.Client, text: string, params?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await c.query(text, params);
    } catch (err) {
      throw postgresError(err, this.name, this.server);
    }
  }

  private async checkTables(sql: pg.Client): Promise<void> {
    for (const t of this.spec.tables) {
      const [schema, table] = t.split('.') as [string, string];
      const r = await this.query(sql, 'SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, table]);
      if (r.rowCount === 0) throw new NotFoundError(`${this.name}: table ${t} does not exist on ${this.server}`);
    }
  }

  private async ensurePublication(sql: pg.Client): Promise<void> {
    const pub = this.spec.publicationName;
    const r = await this.query(sql, 'SELECT 1 FROM pg_publication WHERE pubname = $1', [pub]);
    if (r.rowCount !== 0) return;
    const list = this.spec.tables.map((t) => t.split('.').map(quoteIdent).join('.')).join(', ');
    await this.query(sql, `CREATE PUBLICATION ${quoteIdent(pub)} FOR TABLE ${list}`);
  }

  private async readSnapshot(snap: pg.Client, consistentPoint: Lsn): Promise<void> {
    const lsn = formatLsn(consistentPoint);
    for (const t of this.spec.tables) {
      const qualified = t.split('.').map(quoteIdent).join('.');
      await snap.query(`DECLARE fluss_snapshot NO SCROLL CURSOR FOR SELECT * FROM ${qualified}`);
      for (;;) {
        await this.roomInQueue();
        if (this.closed) return;
        const r = await snap.query(`FETCH FORWARD ${this.spec.fetchSize} FROM fluss_snapshot`);
        for (const row of r.rows as Record<string, unknown>[]) this.push({ t: 'row', rec: { kind: '+I', table: t, row, lsn } });
        if (r.rows.length < this.spec.fetchSize) break;
      }
      await snap.query('CLOSE fluss_snapshot');
    }
    await snap.query('COMMIT');
    this.push({ t: 'snapshot-done', lsn: consistentPoint });
    this.startStreaming(consistentPoint);
  }

  private startStreaming(from: Lsn): void {
    if (this.closed) return;
    this.stream!.start(this.spec.slotName, this.spec.publicationName, from, (f) => this.onFrame(f));
  }

  private onFrame(frame: ReplicationFrame): void {
    if (frame.kind === 'keepalive') {
      this.push({ t: 'progress', lsn: frame.walEnd });
      return;
    }
    const m = this.decoder.decode(frame.body);
    switch (m.kind) {
      case 'begin':
        this.push({ t: 'begin', finalLsn: m.finalLsn });
        break;
      case 'commit':
        this.push({ t: 'commit', endLsn: m.endLsn });
        break;
      case 'insert':
      case 'update':
      case 'delete': {
        const rel = this.decoder.relation(m.relationId)!;
        const table = `${rel.schema}.${rel.name}`;
        if (!this.tables.has(table)) break;
        const lsn = formatLsn(frame.walStart);
        if (m.kind === 'insert') this.push({ t: 'change', rec: { kind: '+I', table, row: m.row, lsn } });
        else if (m.kind === 'delete') this.push({ t: 'change', rec: { kind: '-D', table, row: m.old, lsn } });
        else {
          const before = m.old ?? Object.fromEntries(rel.columns.filter((c) => c.key).map((c) => [c.name, m.row[c.name]]));
          this.push({ t: 'change', rec: { kind: '-U', table, row: before, lsn } });
          this.push({ t: 'change', rec: { kind: '+U', table, row: m.row, lsn } });
        }
        break;
      }
      case 'truncate':
        this.fail(new FailedPreconditionError(`${this.name}: a captured table was truncated; TRUNCATE has no changelog rows (Flink CDC does not emit it either): restart the job without state to snapshot again`));
        break;
      default:
        break;
    }
  }

  private push(item: Item): void {
    this.queue.push(item);
    if (!this.paused && this.queue.length - this.head >= this.spec.fetchSize * 4) {
      this.paused = true;
      this.stream?.pause();
    }
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private roomInQueue(): Promise<void> {
    if (this.queue.length - this.head < this.spec.fetchSize * 2) return Promise.resolve();
    return new Promise((r) => (this.drained = r));
  }

  private fail(err: FlussError): void {
    if (this.closed) return;
    this.failure ??= err;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  pollNext(output: ReaderOutput<ChangeRow>, maxRecords: number): InputStatus {
    if (this.failure) throw this.failure;
    let emitted = 0;
    while (emitted < maxRecords && this.head < this.queue.length) {
      const item = this.queue[this.head++]!;
      switch (item.t) {
        case 'row':
          output.collect(item.rec);
          emitted++;
          break;
        case 'snapshot-done':
          this.snapshotting = false;
          this.lastEnd = item.lsn;
          break;
        case 'begin':
          this.txnFinal = item.finalLsn;
          this.emittedInTxn = 0;
          this.skipping = this.skip && this.skip.finalLsn === item.finalLsn ? this.skip.n : 0;
          this.skip = undefined;
          break;
        case 'change':
          this.emittedInTxn++;
          if (this.skipping > 0) {
            this.skipping--;
            break;
          }
          output.collect(item.rec);
          emitted++;
          break;
        case 'commit':
          this.lastEnd = item.endLsn;
          this.txnFinal = undefined;
          break;
        case 'progress':
          // Everything before the server's WAL end was sent: with no transaction open, a restart may begin there.
          if (this.txnFinal === undefined && item.lsn > this.lastEnd) this.lastEnd = item.lsn;
          break;
      }
    }
    this.compact();
    return this.head < this.queue.length ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
  }

  private compact(): void {
    const left = this.queue.length - this.head;
    if (this.head > 4096 || left === 0) {
      this.queue = left === 0 ? [] : this.queue.slice(this.head);
      this.head = 0;
    }
    if (left < this.spec.fetchSize) {
      if (this.paused) {
        this.paused = false;
        this.stream?.resume();
      }
      const d = this.drained;
      this.drained = undefined;
      d?.();
    }
  }

  isAvailable(): Promise<void> {
    if (this.failure || this.head < this.queue.length) return Promise.resolve();
    return new Promise((r) => (this.wake = r));
  }

  /** The position after the records emitted so far. */
  snapshotState(): CdcPosition {
    if (this.snapshotting) {
      throw new FailedPreconditionError(`${this.name}: the snapshot of ${this.spec.tables.join(', ')} is still being read; checkpoints resume once the stream started`);
    }
    const txn = this.txnFinal ?? this.skip?.finalLsn;
    const pos: CdcPosition = { lsn: formatLsn(this.lastEnd) };
    if (txn !== undefined) {
      pos.txn = formatLsn(txn);
      pos.emitted = this.txnFinal !== undefined ? this.emittedInTxn : this.skip!.n;
    }
    return pos;
  }

  /** The LSN the slot may be confirmed to once the checkpoint being taken completes. */
  confirmableLsn(): Lsn | undefined {
    return this.snapshotting ? undefined : this.lastEnd;
  }

  /** A checkpoint covering `lsn` completed. */
  confirm(lsn: Lsn): void {
    this.stream?.confirm(lsn);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drained?.();
    await this.stream?.close();
    for (const c of this.clients) await c.end().catch(() => undefined);
    this.clients = [];
  }
}
