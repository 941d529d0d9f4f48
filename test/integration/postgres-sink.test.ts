/**
 * The PostgreSQL sink against a real server: batching by size and by time, upsert with
 * deletes, one-line errors (unreachable server, wrong password, missing table), recovery of
 * prepared transactions left by a crashed attempt, and exactly once through a failover of a
 * job on the mini-cluster (no row twice, none missing, no prepared transaction left).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { PostgresSink, RestartStrategies, RichParallelSourceFunction, ListStateDescriptor, type CheckpointedFunction, type CheckpointListener, type FunctionInitializationContext, type ListState, type SourceContext } from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import type { StateInitializationContext } from '../../src/common/checkpoint-hooks.js';
import type { SinkWriter } from '../../src/common/sink.js';
import { newId } from '../../src/core/ids.js';
import { FlussError } from '../../src/core/errors.js';
import { freePort } from '../helpers/process-cluster.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { waitFor } from './jobmanager-harness.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 90_000);
afterAll(async () => {
  await server?.destroy();
});

function listState<T>(initial: T[] = []): ListState<T> {
  let items = [...initial];
  return { get: () => items, add: (v) => void items.push(v), addAll: (vs) => void items.push(...vs), update: (vs) => void (items = [...vs]), clear: () => void (items = []) };
}

function initContext(restored: { split?: unknown[]; union?: unknown[] } | undefined): StateInitializationContext {
  const split = listState(restored?.split ?? []);
  const union = listState(restored?.union ?? []);
  const store = { getListState: () => split, getUnionListState: () => union } as never;
  return {
    isRestored: restored !== undefined,
    restoredCheckpointId: restored ? 1 : undefined,
    getListState: () => split as never,
    getUnionListState: () => union as never,
    getOperatorStateStore: () => store,
  };
}

const writerCtx = (subtaskIndex = 0, parallelism = 1) => ({ subtaskIndex, parallelism, attemptNumber: 0, jobId: 'j', operatorName: 'pg sink' });
const sinkCtx = { timestamp: () => undefined, currentProcessingTime: () => Date.now(), currentWatermark: () => Number.MIN_SAFE_INTEGER } as never;

type Hooks = SinkWriter<Record<string, unknown>> & { initializeState(ctx: StateInitializationContext): Promise<void>; snapshotState(ctx: unknown): Promise<void> | void; notifyCheckpointComplete?(id: number): Promise<void> };

describe('PostgresSink', () => {
  it('writes a batch once it is full, and a partial batch after the batch interval, upserting by key and deleting', async () => {
    await server.query('CREATE TABLE kv (k int PRIMARY KEY, v text)');
    const connection = { url: server.url };
    const bySize = PostgresSink.builder<Record<string, unknown>>().setConnection(connection).setTable('kv').setColumns(['k', 'v']).setKeyColumns(['k'])
      .setIsDelete((r) => r.v === null).setBatchSize(3).setBatchIntervalMs(0).build();
    const w = bySize.createWriter(writerCtx()) as Hooks;
    await w.initializeState(initContext(undefined));
    w.write({ k: 1, v: 'a' }, sinkCtx);
    w.write({ k: 1, v: 'b' }, sinkCtx);
    w.write({ k: 2, v: 'x' }, sinkCtx);
    await new Promise((r) => setTimeout(r, 300));
    expect((await server.query('SELECT count(*)::int AS n FROM kv')).rows[0].n).toBe(0); // two keys: not full yet
    w.write({ k: 3, v: 'c' }, sinkCtx);
    await waitFor(async () => (await server.query('SELECT count(*)::int AS n FROM kv')).rows[0].n === 3, 60_000, 'the full batch');
    w.write({ k: 2, v: null }, sinkCtx);
    w.write({ k: 3, v: 'd' }, sinkCtx);
    await w.flush(true);
    await w.close();
    expect((await server.query('SELECT k, v FROM kv ORDER BY k')).rows).toEqual([{ k: 1, v: 'b' }, { k: 3, v: 'd' }]);

    const byTime = PostgresSink.builder<Record<string, unknown>>().setConnection(connection).setTable('kv').setColumns(['k', 'v']).setKeyColumns(['k'])
      .setBatchSize(1000).setBatchIntervalMs(50).build();
    const t = byTime.createWriter(writerCtx()) as Hooks;
    await t.initializeState(initContext(undefined));
    t.write({ k: 9, v: 'late' }, sinkCtx);
    await waitFor(async () => (await server.query('SELECT count(*)::int AS n FROM kv WHERE k = 9')).rows[0].n === 1, 60_000, 'the timed batch');
    await t.close();
  }, 60_000);

  it('stops taking records while two batches wait for a blocked table, and takes them again once they are written', async () => {
    await server.query('CREATE TABLE slow (k int, v text)');
    const sink = PostgresSink.builder<Record<string, unknown>>().setConnection({ url: server.url }).setTable('slow').setColumns(['k', 'v'])
      .setBatchSize(10).setBatchIntervalMs(0).build();
    const w = sink.createWriter(writerCtx()) as Hooks;
    await w.initializeState(initContext(undefined));
    // Another session holds the table: inserts wait, as they would for a slow or busy database.
    const blocker = await server.client();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE slow IN ACCESS EXCLUSIVE MODE');
    try {
      expect(w.isAvailable!()).toBe(true);
      for (let i = 0; i < 10; i++) w.write({ k: i, v: 'a' }, sinkCtx);
      expect(w.isAvailable!()).toBe(true); // one batch queued
      for (let i = 10; i < 20; i++) w.write({ k: i, v: 'b' }, sinkCtx);
      expect(w.isAvailable!()).toBe(false); // two batches queued: the task stops reading input
      let available = false;
      const waiting = w.whenAvailable!().then(() => (available = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(available).toBe(false);
      await blocker.query('COMMIT');
      await waiting;
      expect(w.isAvailable!()).toBe(true);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    await w.flush(true);
    await w.close();
    expect((await server.query('SELECT count(*)::int AS n FROM slow')).rows[0].n).toBe(20);
  }, 60_000);

  it('fails with one line naming the server for an unreachable server, wrong credentials and a missing table', async () => {
    const port = await freePort();
    const attempt = async (connection: object, table = 'kv') => {
      const sink = PostgresSink.builder<Record<string, unknown>>().setConnection(connection).setTable(table).setColumns(['k', 'v']).build();
      const w = sink.createWriter(writerCtx()) as Hooks;
      try {
        await w.initializeState(initContext(undefined));
        return undefined;
      } catch (err) {
        return err as FlussError;
      } finally {
        await w.close();
      }
    };
    const down = await attempt({ host: '127.0.0.1', port, user: 'u', password: 'p', database: 'd', connectTimeoutMs: 2000 });
    expect(down).toBeInstanceOf(FlussError);
    expect(down!.code).toBe('UNAVAILABLE');
    expect(down!.message).toContain(`127.0.0.1:${port}`);
    const wrong = await attempt({ host: server.host, port: server.port, user: server.user, password: 'not-the-secret-123', database: server.database });
    expect(wrong!.code).toBe('FAILED_PRECONDITION');
    expect(wrong!.message).toContain('credentials');
    expect(wrong!.message).not.toContain('not-the-secret-123');
    const missing = await attempt({ url: server.url }, 'no_such_table');
    expect(missing!.code).toBe('NOT_FOUND');
    expect(missing!.message).toContain('no_such_table');
    expect(missing!.message).not.toContain(server.password);
    for (const e of [down, wrong, missing]) expect(e!.message).not.toContain('\n');
  }, 60_000);

  it('commits the prepared transactions named in the restored checkpoint and rolls back the others', async () => {
    await server.query('CREATE TABLE rec (id text)');
    const prefix = 'rec-test';
    const c = await server.client();
    const prepare = async (gid: string) => {
      await c.query('BEGIN');
      await c.query('INSERT INTO rec VALUES ($1)', [gid]);
      await c.query(`PREPARE TRANSACTION '${gid}'`);
    };
    // Left by a crashed attempt at parallelism 3: two for the restored checkpoint, two after it.
    const kept = [`${prefix}:0:aa:1`, `${prefix}:2:aa:1`];
    const dropped = [`${prefix}:1:aa:2`, `${prefix}:2:aa:2`];
    for (const gid of [...kept, ...dropped, 'other-sink:0:aa:1']) await prepare(gid);
    await c.end();
    const sink = PostgresSink.builder<Record<string, unknown>>().setConnection({ url: server.url }).setTable('rec').setColumns(['id'])
      .setDeliveryGuarantee('EXACTLY_ONCE').setTransactionIdPrefix(prefix).build();
    // Restored at parallelism 2: subtask 0 owns ids of old subtasks 0 and 2, subtask 1 those of 1.
    const writers = [0, 1].map((i) => sink.createWriter(writerCtx(i, 2)) as Hooks);
    await Promise.all(writers.map((w) => w.initializeState(initContext({ split: [], union: kept }))));
    const rows = (await server.query('SELECT id FROM rec ORDER BY id')).rows.map((r) => r.id);
    expect(rows).toEqual([...kept].sort());
    const left = (await server.query('SELECT gid FROM pg_prepared_xacts ORDER BY gid')).rows.map((r) => r.gid);
    expect(left).toEqual(['other-sink:0:aa:1']);
    await server.query(`ROLLBACK PREPARED 'other-sink:0:aa:1'`);
    for (const w of writers) await w.close();
  }, 60_000);
});

const PER_SUBTASK = 6_000;
const PARALLELISM = 2;
/** Attempt numbers the source subtasks ran with (the mini-cluster runs in this process). */
const attempts: number[] = [];

/** Numbers with a checkpointed offset; fails once after three completed checkpoints in the first attempt. */
class Counter extends RichParallelSourceFunction<{ n: number }> implements CheckpointedFunction, CheckpointListener {
  private offset = 0;
  private running = true;
  private state!: ListState<number>;
  private completed = 0;

  async run(ctx: SourceContext<{ n: number }>): Promise<void> {
    const rc = this.getRuntimeContext();
    const me = rc.getIndexOfThisSubtask();
    attempts.push(rc.getAttemptNumber());
    while (this.running && this.offset < PER_SUBTASK) {
      if (this.completed >= 3 && rc.getAttemptNumber() === 0) await ctx.collect({ n: -1 });
      const full = ctx.collect({ n: this.offset * PARALLELISM + me });
      this.offset++;
      if (full) await full;
      if (this.offset % 100 === 0) await new Promise((r) => setTimeout(r, 10));
      // The first attempt does not end before it failed.
      while (rc.getAttemptNumber() === 0 && this.offset === PER_SUBTASK - 1 && this.completed < 3) await new Promise((r) => setTimeout(r, 10));
    }
  }

  cancel(): void {
    this.running = false;
  }

  initializeState(context: FunctionInitializationContext): void {
    this.state = context.getOperatorStateStore().getListState(new ListStateDescriptor<number>('offset'));
    for (const o of this.state.get()) this.offset = o;
  }

  snapshotState(): void {
    this.state.update([this.offset]);
  }

  notifyCheckpointComplete(): void {
    this.completed++;
  }
}

describe('PostgresSink exactly once', () => {
  it('writes every record once through a failover, leaving no prepared transaction', async () => {
    await server.query('CREATE TABLE eo (n int)');
    const dir = await mkdtemp(join(tmpdir(), 'fluss-pg-eo-'));
    const cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: PARALLELISM, config: { 'state.checkpoints.dir': join(dir, 'cp'), 'state.backend.type': 'memory' } });
    await cluster.start();
    const client = new JobManagerClient(cluster.jobManagerAddress);
    const url = server.url;
    const job = (env: StreamExecutionEnvironment): void => {
      env.setParallelism(PARALLELISM);
      env.enableCheckpointing(100);
      // A checkpoint triggered while the tasks finish is declined; that must not fail the job.
      env.getCheckpointConfig().setTolerableCheckpointFailureNumber(100);
      env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
      env.addSource(new Counter(), 'counter').uid('counter')
        .map((r: { n: number }) => {
          if (r.n < 0) throw new Error('injected failure');
          return r;
        }).uid('check')
        .sinkTo(PostgresSink.builder<{ n: number }>().setConnection({ url }).setTable('eo').setColumns(['n']).setBatchSize(500)
          .setDeliveryGuarantee('EXACTLY_ONCE').setTransactionIdPrefix('eo-job').build()).uid('pg');
    };
    const build = () => buildJob(job, []);
    const { jobGraph } = await build();
    const jobId = newId();
    const hash = registerInProcessJob(build, jobId);
    try {
      await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId });
      await waitFor(async () => (await client.getJob(jobId)).status === 'FINISHED', 60_000, 'job finished');
      const { rows } = await server.query('SELECT count(*)::int AS total, count(DISTINCT n)::int AS distinct, min(n) AS lo, max(n) AS hi FROM eo');
      expect(rows[0]).toEqual({ total: PER_SUBTASK * PARALLELISM, distinct: PER_SUBTASK * PARALLELISM, lo: 0, hi: PER_SUBTASK * PARALLELISM - 1 });
      expect((await server.query('SELECT gid FROM pg_prepared_xacts')).rows).toEqual([]);
      expect(attempts.some((a) => a > 0)).toBe(true); // the failover happened
    } finally {
      unregisterInProcessJob(hash);
      await client.close();
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
