/**
 * The replication connection of the CDC source (`pg` with `replication: 'database'`): creates
 * the logical slot (exporting its snapshot), streams the slot from an LSN with `pgoutput`, and
 * reports to the server which LSN is durable downstream (standby status updates). Incoming
 * frames go to a callback in arrival order; `pause`/`resume` apply backpressure on the socket.
 */
import type pg from 'pg';
import { type FlussError, UnavailableError } from '../../core/errors.js';
import { decodeFrame, formatLsn, parseLsn, standbyStatus, type Lsn, type ReplicationFrame } from './pgoutput.js';
import { connectPostgres, postgresError, type PostgresConnectionOptions } from './postgres-connection.js';
import { quoteIdent } from './postgres-sql.js';

/** What CREATE_REPLICATION_SLOT returned. */
export interface CreatedSlot {
  consistentPoint: Lsn;
  /** Exported snapshot (valid until the next command on this connection). */
  snapshotName: string | undefined;
}

/** One replication connection. */
export class ReplicationStream {
  private client: pg.Client | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private received: Lsn = 0n;
  private flushed: Lsn = 0n;

  constructor(
    private readonly options: PostgresConnectionOptions,
    private readonly what: string,
    private readonly server: string,
    private readonly onError: (err: FlussError) => void,
  ) {}

  async connect(): Promise<void> {
    this.client = await connectPostgres(this.options, this.what, this.onError, { replication: 'database' });
  }

  /** `CREATE_REPLICATION_SLOT slot LOGICAL pgoutput`, exporting a snapshot when asked. */
  async createSlot(slot: string, exportSnapshot: boolean): Promise<CreatedSlot> {
    try {
      const r = await this.client!.query(`CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput ${exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`);
      const row = r.rows[0] as { consistent_point: string; snapshot_name: string | null };
      return { consistentPoint: parseLsn(row.consistent_point), snapshotName: row.snapshot_name ?? undefined };
    } catch (err) {
      throw postgresError(err, `${this.what}: creating replication slot ${slot}`, this.server);
    }
  }

  /**
   * `START_REPLICATION` of `slot` from `from`; every frame goes to `onFrame`. The server skips
   * transactions that committed before `from` (and before the slot's confirmed LSN).
   */
  start(slot: string, publication: string, from: Lsn, onFrame: (frame: ReplicationFrame) => void): void {
    const client = this.client!;
    this.flushed = from;
    this.received = from;
    client.connection.on('copyData', (msg: { chunk: Buffer }) => {
      const frame = decodeFrame(msg.chunk);
      if (!frame) return;
      if (frame.kind === 'xlog' && frame.walEnd > this.received) this.received = frame.walEnd;
      if (frame.kind === 'keepalive' && frame.replyRequested) this.sendStatus();
      onFrame(frame);
    });
    const pub = `'${quoteIdent(publication).replace(/'/g, "''")}'`;
    client.query(`START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(from)} (proto_version '1', publication_names ${pub})`).then(
      () => this.onError(new UnavailableError(`${this.what}: PostgreSQL at ${this.server} ended the replication stream`)),
      (err: unknown) => this.onError(postgresError(err, `${this.what}: replication from slot ${slot}`, this.server)),
    );
    // The server drops a receiver silent past wal_sender_timeout (60 s by default).
    this.statusTimer = setInterval(() => this.sendStatus(), 5_000);
    this.statusTimer.unref();
  }

  /** Everything up to `lsn` is durable downstream: the slot may release it. */
  confirm(lsn: Lsn): void {
    if (lsn <= this.flushed) return;
    this.flushed = lsn;
    this.sendStatus();
  }

  private sendStatus(): void {
    const c = this.client;
    if (!c) return;
    try {
      (c.connection as unknown as { sendCopyFromChunk(b: Buffer): void }).sendCopyFromChunk(standbyStatus(this.received > this.flushed ? this.received : this.flushed, this.flushed));
    } catch {
      // A dead connection reports through onError.
    }
  }

  pause(): void {
    (this.client?.connection as unknown as { stream?: NodeJS.ReadableStream } | undefined)?.stream?.pause();
  }

  resume(): void {
    (this.client?.connection as unknown as { stream?: NodeJS.ReadableStream } | undefined)?.stream?.resume();
  }

  async close(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // Ending the socket ends the stream; a graceful end would wait for CopyDone.
    (c.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
    await c.end().catch(() => undefined);
  }
}
