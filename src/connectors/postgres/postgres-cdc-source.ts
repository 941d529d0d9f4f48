/**
 * Change data capture from PostgreSQL (Flink CDC's `PostgresSource`): a snapshot of the chosen
 * tables, then their changes from a logical replication slot decoded with `pgoutput`, as a
 * changelog of {@link ChangeRow}s (Flink's RowKinds `+I` INSERT, `-U` UPDATE_BEFORE, `+U` UPDATE_AFTER, `-D`
 * DELETE) with the LSN as position. One reader (parallelism 1), as Flink CDC's stream phase.
 *
 * - Handover: the slot is created with an exported snapshot; the snapshot is read inside a
 *   transaction that imports it and the stream starts at the slot's consistent point, so every
 *   change is either in the snapshot or in the stream, never both, never neither.
 * - Exactly once: the position (last complete transaction's end LSN, and how many changes of
 *   the transaction in progress went out) is checkpointed; the slot is confirmed only up to the
 *   position of a completed checkpoint, so a restore re-reads from there.
 * - Checkpoints during the snapshot are declined (as Flink CDC's non-incremental snapshot
 *   blocks them): raise `execution.checkpointing.tolerable-failed-checkpoints` for long snapshots.
 * - UPDATE_BEFORE and DELETE carry the old row as the table's REPLICA IDENTITY sends it: all
 *   columns with `REPLICA IDENTITY FULL`, else the key columns only.
 *
 * @example
 * env.fromSource(PostgresCdcSource.builder<Customer>()
 *   .setConnection({ url }).setTables(['public.customers']).setSlotName('fluss_customers').build(),
 *   WatermarkStrategy.noWatermarks(), 'customers');
 */
import type { StateSnapshotContext } from '../../common/checkpoint-hooks.js';
import type { Source, SourceReader, SourceReaderContext } from '../../common/source.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Change } from '../../common/row-kind.js';
import { checkConnectionOptions, type PostgresConnectionOptions } from './postgres-connection.js';
import { PostgresCdcReader } from './postgres-cdc-reader.js';

/** One change of a captured table: a {@link Change} with the table and position it comes from. */
export interface ChangeRow<R = Record<string, unknown>> extends Change<R> {
  /** `schema.table`. */
  readonly table: string;
  readonly row: R;
  /** LSN of the change's transaction commit (the snapshot's consistent point for snapshot rows). */
  readonly lsn: string;
}

/** `initial`: snapshot, then changes; `latest`: only changes from now on. */
export type CdcStartupMode = 'initial' | 'latest';

/** Settings of the source (plain data). */
export interface PostgresCdcSpec {
  readonly connection: PostgresConnectionOptions;
  /** `schema.table` names. */
  readonly tables: readonly string[];
  readonly slotName: string;
  readonly publicationName: string;
  readonly startupMode: CdcStartupMode;
  /** Rows fetched per snapshot round trip, and changes buffered before the socket is paused. */
  readonly fetchSize: number;
}

/** The source. */
export class PostgresCdcSource<R = Record<string, unknown>> implements Source<ChangeRow<R>> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED';
  readonly defaultName = 'PostgreSQL CDC Source';
  /** One replication slot is read by one reader. */
  readonly maxParallelism = 1;

  /** @internal use {@link PostgresCdcSource.builder}. */
  constructor(readonly spec: PostgresCdcSpec) {}

  static builder<R = Record<string, unknown>>(): PostgresCdcSourceBuilder<R> {
    return new PostgresCdcSourceBuilder<R>();
  }

  /** The subtask's checkpoint hooks (the source operator hosts them): they confirm LSNs to the slot. */
  createUserFunction(): CdcCheckpointHooks {
    return new CdcCheckpointHooks();
  }

  createReader(ctx: SourceReaderContext): SourceReader<ChangeRow<R>> {
    const hooks = (ctx.userFunction as CdcCheckpointHooks | undefined) ?? new CdcCheckpointHooks();
    const reader = new PostgresCdcReader(this.spec, ctx.sourceName);
    hooks.reader = reader;
    return reader as unknown as SourceReader<ChangeRow<R>>;
  }
}

/** Remembers each checkpoint's LSN; once it completes, the slot is confirmed up to it. */
export class CdcCheckpointHooks {
  /** @internal */
  reader: PostgresCdcReader | undefined;
  private readonly lsnOf = new Map<number, bigint>();

  snapshotState(ctx: StateSnapshotContext): void {
    const lsn = this.reader?.confirmableLsn();
    if (lsn !== undefined) this.lsnOf.set(ctx.checkpointId, lsn);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    let best: bigint | undefined;
    for (const [id, lsn] of this.lsnOf) {
      if (id > checkpointId) continue;
      if (best === undefined || lsn > best) best = lsn;
      this.lsnOf.delete(id);
    }
    if (best !== undefined) this.reader?.confirm(best);
  }
}

/** Builds a {@link PostgresCdcSource}. */
export class PostgresCdcSourceBuilder<R> {
  private connection: PostgresConnectionOptions | undefined;
  private tables: string[] = [];
  private slot: string | undefined;
  private publication: string | undefined;
  private startup: CdcStartupMode = 'initial';
  private fetchSize = 1024;

  setConnection(options: PostgresConnectionOptions): this {
    this.connection = options;
    return this;
  }

  /** Tables to capture (`table` means `public.table`). */
  setTables(tables: string[]): this {
    this.tables = [...tables];
    return this;
  }

  /** Name of the logical replication slot (one per job and source; Flink CDC's `slot.name`). */
  setSlotName(name: string): this {
    this.slot = name;
    return this;
  }

  /** Publication to read (created for the tables when missing); default `<slot>_pub`. */
  setPublicationName(name: string): this {
    this.publication = name;
    return this;
  }

  /** `initial` (default) or `latest` (Flink CDC's `scan.startup.mode`). */
  setStartupMode(mode: CdcStartupMode): this {
    this.startup = mode;
    return this;
  }

  /** Rows per snapshot fetch and changes buffered (default 1024). */
  setFetchSize(rows: number): this {
    this.fetchSize = rows;
    return this;
  }

  build(): PostgresCdcSource<R> {
    const connection = checkConnectionOptions(this.connection, 'PostgresCdcSource');
    if (this.tables.length === 0) throw new InvalidArgumentError('PostgresCdcSource: no tables (call setTables)');
    const tables = this.tables.map((t) => {
      const parts = t.split('.');
      if (parts.length > 2 || parts.some((p) => p.length === 0)) throw new InvalidArgumentError(`PostgresCdcSource: table name ${JSON.stringify(t)}: expected table or schema.table`);
      return parts.length === 1 ? `public.${t}` : t;
    });
    const slot = this.slot;
    if (!slot || !/^[a-z0-9_]{1,63}$/.test(slot)) throw new InvalidArgumentError(`PostgresCdcSource: slot name must be 1-63 characters of a-z, 0-9 and _ (PostgreSQL's rule), got ${JSON.stringify(slot)}`);
    if (this.startup !== 'initial' && this.startup !== 'latest') throw new InvalidArgumentError(`PostgresCdcSource: startup mode must be 'initial' or 'latest', got ${JSON.stringify(this.startup)}`);
    if (!Number.isInteger(this.fetchSize) || this.fetchSize < 1) throw new InvalidArgumentError(`PostgresCdcSource: fetch size must be a positive integer, got ${this.fetchSize}`);
    return new PostgresCdcSource<R>({ connection, tables, slotName: slot, publicationName: this.publication ?? `${slot}_pub`, startupMode: this.startup, fetchSize: this.fetchSize });
  }
}
