/**
 * The PostgreSQL CDC source against a real server, in a job on the mini-cluster writing its
 * changelog through the exactly-once PostgresSink: a snapshot of 3 000 rows with updates,
 * inserts and deletes racing the snapshot-to-stream handover and going on through a failover.
 * Every update adds one to a row's counter, so per key the changelog must be one INSERT then
 * UPDATE_BEFORE/UPDATE_AFTER pairs counting up by exactly one (nothing lost, nothing twice, in
 * order), ending with the table's final row or a DELETE.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { PostgresCdcSource, PostgresSink, RestartStrategies, WatermarkStrategy, type ChangeRow } from '../../src/api/index.js';
import type { StreamExecutionEnvironment } from '../../src/api/stream-execution-environment.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { newId } from '../../src/core/ids.js';
import { FlussError } from '../../src/core/errors.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { waitFor } from './jobmanager-harness.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 90_000);
afterAll(async () => {
  await server?.destroy();
});

const ROWS = 3_000;
/** Set by the test: the next record fails the job once. */
const failure = { armed: false, fired: false };

interface Cust { id: number; name: string; n: number }

describe('PostgresCdcSource', () => {
  it('names a missing table in one line', async () => {
    const source = PostgresCdcSource.builder().setConnection({ url: server.url }).setTables(['nope']).setSlotName('s_missing').build();
    const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, sourceName: 'cdc' });
    const err = await Promise.resolve(reader.start()).then(() => undefined, (e: unknown) => e as FlussError);
    await reader.close();
    expect(err).toBeInstanceOf(FlussError);
    expect(err!.code).toBe('NOT_FOUND');
    expect(err!.message).toContain('public.nope');
  }, 30_000);

  it('captures a snapshot and the changes racing it and following it exactly once, in order per key, through a failover', async () => {
    await server.query('CREATE TABLE cust (id int PRIMARY KEY, name text, n int NOT NULL)');
    await server.query('ALTER TABLE cust REPLICA IDENTITY FULL');
    await server.query(`INSERT INTO cust SELECT i, 'c' || i, 0 FROM generate_series(1, ${ROWS}) i`);
    await server.query('CREATE TABLE log (pos bigserial PRIMARY KEY, id int, kind text, n int)');
    const dir = await mkdtemp(join(tmpdir(), 'fluss-pg-cdc-'));
    const cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: 1, config: { 'state.checkpoints.dir': join(dir, 'cp'), 'state.backend.type': 'memory' } });
    await cluster.start();
    const client = new JobManagerClient(cluster.jobManagerAddress);
    const url = server.url;
    const job = (env: StreamExecutionEnvironment): void => {
      env.setParallelism(1);
      env.enableCheckpointing(100);
      env.getCheckpointConfig().setTolerableCheckpointFailureNumber(1000);
      env.setRestartStrategy(RestartStrategies.fixedDelay(5, 100));
      env.fromSource(PostgresCdcSource.builder<Cust>().setConnection({ url }).setTables(['cust']).setSlotName('cdc_test').setFetchSize(256).build(), WatermarkStrategy.noWatermarks(), 'cdc')
        .uid('cdc')
        .map((c: ChangeRow<Cust>) => {
          if (failure.armed) {
            failure.armed = false;
            failure.fired = true;
            throw new Error('injected failure');
          }
          return { id: c.row.id, kind: c.kind, n: c.row.n };
        })
        .uid('map')
        .sinkTo(PostgresSink.builder<{ id: number; kind: string; n: number }>().setConnection({ url }).setTable('log').setColumns(['id', 'kind', 'n'])
          .setDeliveryGuarantee('EXACTLY_ONCE').setTransactionIdPrefix('cdc-test').build())
        .uid('sink');
    };
    const build = () => buildJob(job, []);
    const { jobGraph } = await build();
    const jobId = newId();
    const hash = registerInProcessJob(build, jobId);
    try {
      await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId });
      // Writes race the snapshot and the handover, then go on through a failover.
      const w = await server.client();
      let nextId = ROWS + 1;
      const deleted = new Set<number>();
      let seed = 7;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return Math.floor(seed / 65536) % n;
      };
      for (let op = 0; op < 1500; op++) {
        if (op === 700) failure.armed = true;
        const r = rnd(10);
        if (r < 7) {
          const ids = [1 + rnd(nextId - 1), 1 + rnd(nextId - 1)];
          await w.query('BEGIN');
          for (const id of ids) await w.query('UPDATE cust SET n = n + 1 WHERE id = $1', [id]);
          await w.query('COMMIT');
        } else if (r < 9) {
          await w.query(`INSERT INTO cust VALUES ($1, 'new', 0)`, [nextId++]);
        } else {
          const id = 1 + rnd(nextId - 1);
          deleted.add(id);
          await w.query('DELETE FROM cust WHERE id = $1', [id]);
        }
        if (op % 100 === 0) await new Promise((res) => setTimeout(res, 20));
      }
      await w.end();
      const final = new Map<number, number>((await server.query('SELECT id, n FROM cust')).rows.map((r) => [r.id as number, r.n as number]));
      // Replay the changelog per key.
      const check = async () => {
        const { rows } = await server.query('SELECT id, kind, n FROM log ORDER BY pos');
        const state = new Map<number, number>();
        const problems: string[] = [];
        for (const { id, kind, n } of rows as { id: number; kind: string; n: number }[]) {
          const cur = state.get(id);
          if (kind === '+I') {
            if (cur !== undefined) problems.push(`INSERT of present key ${id}`);
            state.set(id, n);
          } else if (kind === '-U') {
            if (cur !== n) problems.push(`UPDATE_BEFORE ${id} n=${n}, state ${cur}`);
          } else if (kind === '+U') {
            if (cur === undefined || n !== cur + 1) problems.push(`UPDATE_AFTER ${id} n=${n}, state ${cur}`);
            state.set(id, n);
          } else if (kind === '-D') {
            if (cur !== n) problems.push(`DELETE ${id} n=${n}, state ${cur}`);
            state.delete(id);
          }
        }
        return { problems, state };
      };
      await waitFor(async () => {
        const { state } = await check();
        return state.size === final.size && [...final].every(([id, n]) => state.get(id) === n);
      }, 90_000, 'the changelog to reach the final table');
      const { problems, state } = await check();
      expect(problems.slice(0, 5)).toEqual([]);
      expect(state).toEqual(final);
      expect(failure.fired).toBe(true);
      expect(deleted.size).toBeGreaterThan(0);
      await client.cancelJob(jobId);
    } finally {
      unregisterInProcessJob(hash);
      await client.close();
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
