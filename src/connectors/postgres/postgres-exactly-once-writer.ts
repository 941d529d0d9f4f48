/**
 * The exactly-once writer of {@link PostgresSink} (Flink's TwoPhaseCommitSinkFunction on
 * PostgreSQL's two-phase commit):
 *
 * - the rows between two barriers go into one transaction on the writer's connection; at
 *   checkpoint n's barrier it is flushed and prepared (`PREPARE TRANSACTION '<id>'`, durable on
 *   the server, detached from the connection) and its id is kept in operator state; the
 *   checkpoint is acknowledged only after PREPARE succeeded;
 * - once checkpoint n completes, every transaction prepared for n or earlier is committed
 *   (`COMMIT PREPARED`) on a second connection;
 * - ids are `<prefix>:<subtask>:<writer nonce>:<n>`: the prefix names the sink (unique per job),
 *   the nonce is new per writer instance, so ids never repeat across restarts;
 * - recovery, when a writer starts: the prepared transactions of this sink on the server
 *   (`pg_prepared_xacts`) are those of crashed attempts. Those named in the restored checkpoint
 *   (a union list state: every subtask sees the ids of all) were pre-committed for a completed
 *   checkpoint: they are committed. Every other one was prepared after the restored checkpoint
 *   (its rows are replayed from the restored source positions): it is rolled back. Each subtask
 *   handles the ids whose subtask number modulo the new parallelism is its own, so no two
 *   subtasks act on one id and none touches the transactions another subtask of the new run
 *   prepares meanwhile. `COMMIT`/`ROLLBACK PREPARED` of an id already gone counts as done
 *   (a commit may have happened just before the failure). Without a restored checkpoint every
 *   prepared transaction of the sink is rolled back.
 *
 * What Flink's Kafka sink struggles with (finding transactions of an unknown earlier
 * parallelism) does not arise: the server lists prepared transactions by id prefix.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ListState } from '../../common/runtime-context.js';
import type { SinkContext } from '../../common/functions.js';
import type { StateInitializationContext, StateSnapshotContext } from '../../common/checkpoint-hooks.js';
import type { SinkWriter, SinkWriterContext } from '../../common/sink.js';
import type { FlussError } from '../../core/errors.js';
import { BatchingConnection } from './batching-connection.js';
import { connectPostgres, postgresError, sqlState } from './postgres-connection.js';
import type { PostgresSinkSpec } from './postgres-sink.js';

/** Split list state: this subtask's prepared transactions awaiting their checkpoint. */
const PENDING_STATE = '_postgres_sink_pending';
/** Union list state: the ids of every subtask's prepared transactions. */
const PENDING_IDS_STATE = '_postgres_sink_pending_ids';

interface Pending {
  checkpointId: number;
  id: string;
}

/** SQLSTATE undefined_object: no prepared transaction of that id (already committed or rolled back). */
const NO_SUCH_TRANSACTION = '42704';

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Subtask number in a transaction id of `prefix`, or undefined when it is not one. */
export function subtaskOfTransactionId(prefix: string, id: string): number | undefined {
  if (!id.startsWith(`${prefix}:`)) return undefined;
  const m = /^(\d+):[0-9a-f]+:\d+$/.exec(id.slice(prefix.length + 1));
  return m ? Number(m[1]) : undefined;
}

/** One subtask's exactly-once writer. */
export class PostgresExactlyOnceWriter<T> implements SinkWriter<T> {
  private readonly data: BatchingConnection<T>;
  private control: pg.Client | undefined;
  private controlFailure: FlussError | undefined;
  private readonly prefix: string;
  private readonly nonce = randomBytes(4).toString('hex');
  private counter = 0;
  private current: string;
  private pending: Pending[] = [];
  private pendingState: ListState<Pending> | undefined;
  private idsState: ListState<string> | undefined;
  private commits: Promise<void> = Promise.resolve();
  private readonly who: string;

  constructor(
    private readonly spec: PostgresSinkSpec<T>,
    private readonly ctx: SinkWriterContext,
  ) {
    this.who = `${ctx.operatorName} (subtask ${ctx.subtaskIndex})`;
    this.data = new BatchingConnection<T>(spec, this.who, true);
    this.prefix = spec.transactionIdPrefix!;
    this.current = this.nextId();
  }

  private nextId(): string {
    return `${this.prefix}:${this.ctx.subtaskIndex}:${this.nonce}:${this.counter++}`;
  }

  async initializeState(ctx: StateInitializationContext): Promise<void> {
    await this.data.open();
    this.control = await connectPostgres(this.spec.connection, `${this.spec.name} ${this.who}`, (err) => {
      this.controlFailure ??= err;
    });
    this.pendingState = ctx.getListState<Pending>(PENDING_STATE);
    this.idsState = ctx.getUnionListState<string>(PENDING_IDS_STATE);
    const committable = new Set(ctx.isRestored ? this.idsState.get() : []);
    await this.recover(committable);
    this.pendingState.clear();
    this.idsState.clear();
  }

  /** Commits or rolls back the prepared transactions this subtask owns (see the file comment). */
  private async recover(committable: Set<string>): Promise<void> {
    const { rows } = await this.controlQuery<{ gid: string }>(
      'SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND left(gid, $1) = $2',
      [this.prefix.length + 1, `${this.prefix}:`],
    );
    for (const { gid } of rows) {
      const subtask = subtaskOfTransactionId(this.prefix, gid);
      if (subtask === undefined || subtask % this.ctx.parallelism !== this.ctx.subtaskIndex) continue;
      await this.finish(gid, committable.has(gid) ? 'COMMIT' : 'ROLLBACK');
    }
  }

  /** `COMMIT PREPARED` or `ROLLBACK PREPARED`; an id already gone counts as done. */
  private async finish(id: string, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    try {
      await this.controlQuery(`${how} PREPARED ${quoteLiteral(id)}`);
    } catch (err) {
      if (sqlState((err as { cause?: unknown }).cause) !== NO_SUCH_TRANSACTION) throw err;
    }
  }

  private async controlQuery<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.controlFailure) throw this.controlFailure;
    try {
      return await this.control!.query<R>(sql, params);
    } catch (err) {
      throw postgresError(err, `${this.spec.name} ${this.who}: ${sql.split(' ').slice(0, 2).join(' ')} failed`, this.data.server);
    }
  }

  write(value: T, _ctx: SinkContext): void {
    if (this.controlFailure) throw this.controlFailure;
    this.data.add(value);
  }

  /** Backpressure: false while the data connection has as many batches queued as it may. */
  isAvailable(): boolean {
    return this.data.isAvailable();
  }

  whenAvailable(): Promise<void> {
    return this.data.whenAvailable();
  }

  /** Prepares the current transaction (when it wrote anything) for checkpoint `ctx.checkpointId`. */
  snapshotState(ctx: StateSnapshotContext): Promise<void> {
    const prepared = this.prepareCurrent(ctx.checkpointId);
    this.pendingState?.update(this.pending.map((p) => ({ ...p })));
    this.idsState?.update(this.pending.map((p) => p.id));
    return prepared;
  }

  private prepareCurrent(checkpointId: number): Promise<void> {
    if (!this.data.transactionStarted && this.data.buffered === 0) return this.data.flush();
    const id = this.current;
    this.current = this.nextId();
    this.pending.push({ checkpointId, id });
    return this.data.then(async (client) => {
      await client.query(`PREPARE TRANSACTION ${quoteLiteral(id)}`);
    });
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const due = this.pending.filter((p) => p.checkpointId <= checkpointId);
    if (due.length === 0) return this.commits;
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
    const run = this.commits.then(async () => {
      for (const p of due) await this.finish(p.id, 'COMMIT');
    });
    this.commits = run.catch(() => undefined);
    return run;
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (!endOfInput) {
      await this.data.flush();
      return;
    }
    await this.prepareCurrent(Number.MAX_SAFE_INTEGER);
    await this.notifyCheckpointComplete(Number.MAX_SAFE_INTEGER);
  }

  async close(): Promise<void> {
    await this.commits;
    await this.data.close();
    const c = this.control;
    this.control = undefined;
    await c?.end().catch(() => undefined);
  }
}
