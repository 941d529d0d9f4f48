/**
 * JetStream → keyBy/sum → PostgreSQL (exactly-once sink, insert mode) on a process cluster,
 * through three TaskManager SIGKILLs, a nats-server restart and a PostgreSQL restart. Every
 * running sum is inserted as a row (key, total, count): exactly once means each key has one row
 * per count 1..n (a replayed record committed twice would repeat one), and the last row per key
 * equals an independent sum over the published messages; no prepared transaction may be left.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, waitFor } from '../helpers/process-cluster.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { KillableCluster, randomBetween, sleep } from './exactly-once-harness.js';

const MESSAGES = 6_000;
const KEYS = 16;

const JOB = `
import { defineJob, JetStreamSource, PostgresSink, RestartStrategies, WatermarkStrategy } from 'fluss';

interface Sum { k: number; total: number; n: number }

export default defineJob((env, [natsUrl, pgUrl]) => {
  env.enableCheckpointing(300);
  env.getCheckpointConfig().setTolerableCheckpointFailureNumber(1000);
  env.setRestartStrategy(RestartStrategies.fixedDelay(1000, 300));
  env
    .fromSource(
      JetStreamSource.builder<Sum>().setServers(natsUrl!).setStream('NUMS').setSubjects('nums.>')
        .setDeserializer((m) => ({ ...m.json<{ k: number; v: number }>(), n: 1 }) as unknown as Sum).build(),
      WatermarkStrategy.noWatermarks(), 'nums')
    .uid('nums').setParallelism(2)
    .map((m: any): Sum => ({ k: m.k, total: m.v, n: 1 })).uid('to sum')
    .keyBy((s: Sum) => s.k)
    .reduce((a: Sum, b: Sum): Sum => ({ k: a.k, total: a.total + b.total, n: a.n + b.n })).uid('sum').setParallelism(2)
    .sinkTo(PostgresSink.builder<Sum>().setConnection({ url: pgUrl! }).setTable('sums').setColumns(['k', 'total', 'n'])
      .setDeliveryGuarantee('EXACTLY_ONCE').setTransactionIdPrefix('sums-job').build())
    .uid('pg').setParallelism(2);
});
`;

let nats: NatsServer;
let pg: PostgresServer;
const cluster = new KillableCluster({ taskManagers: 2, slots: 3 });

beforeAll(async () => {
  [nats, pg] = await Promise.all([startNatsServer(), startPostgres()]);
  await cluster.start();
}, 120_000);

afterAll(async () => {
  await cluster.stop();
  await nats?.dispose();
  await pg?.destroy();
});

describe('JetStream to PostgreSQL exactly once', () => {
  it('keeps the sums exact through TaskManager kills and server restarts, leaving no prepared transaction', async () => {
    await pg.query('CREATE TABLE sums (k int, total bigint, n bigint)');
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    await (await jetstreamManager(nc)).streams.add({ name: 'NUMS', subjects: ['nums.>'] });
    const js = jetstream(nc);
    const expected = new Map<number, { total: number; n: number }>();
    let published = 0;
    let faultsDone = false;
    // Publishes about 500 messages/s until the faults are over (and at least MESSAGES); a message
    // is retried (same Nats-Msg-Id) until acknowledged.
    const publisher = (async () => {
      for (let i = 0; i < MESSAGES || !faultsDone; i++) {
        const k = i % KEYS;
        const v = (i * 7919) % 1000;
        for (;;) {
          try {
            await js.publish(`nums.${i % 4}`, JSON.stringify({ k, v }), { msgID: `m-${i}` });
            break;
          } catch {
            await sleep(100);
          }
        }
        const e = expected.get(k) ?? { total: 0, n: 0 };
        expected.set(k, { total: e.total + v, n: e.n + 1 });
        published = i + 1;
        if (i % 50 === 49) await sleep(100);
      }
    })();
    const jobFile = join(cluster.workDir, 'sums-job.ts');
    writeFileSync(jobFile, JOB);
    const r = await runCli(['run', '-d', '-m', cluster.address, jobFile, nats.url, pg.url]);
    expect(r.code, r.stderr).toBe(0);
    const jobId = /JobID ([0-9a-f]{32})/.exec(r.stdout)![1]!;
    await cluster.waitForJobState(jobId, 'RUNNING');
    const newCheckpoint = async () => {
      const after = cluster.completedCheckpoints(jobId).at(-1) ?? 0;
      await waitFor('a new checkpoint', () => (cluster.completedCheckpoints(jobId).at(-1) ?? 0) > after, 60_000, 50);
    };
    for (let kill = 0; kill < 3; kill++) {
      await newCheckpoint();
      await sleep(randomBetween(250, 600));
      await cluster.replaceTaskManager(randomBetween(0, cluster.taskManagers.length));
      await cluster.waitForJobState(jobId, 'RUNNING', 60_000);
      if (kill === 0) {
        await newCheckpoint();
        await nats.restart();
      }
      if (kill === 1) {
        await newCheckpoint();
        await pg.stop();
        await sleep(500);
        await pg.restart();
      }
    }
    faultsDone = true;
    await publisher;
    expect(published).toBeGreaterThanOrEqual(MESSAGES);
    await nc.close();
    const table = async () => new Map(((await pg.query('SELECT DISTINCT ON (k) k, total::int AS total, n::int AS n FROM sums ORDER BY k, n DESC')).rows as { k: number; total: number; n: number }[]).map((x) => [x.k, { total: x.total, n: x.n }]));
    await waitFor('the sums of every message', async () => {
      const t = await table();
      return [...expected].every(([k, e]) => t.get(k)?.n === e.n);
    }, 120_000, 250).catch(async (e: Error) => {
      throw new Error(`${e.message}\ntable ${JSON.stringify([...(await table())])}\nexpected ${JSON.stringify([...expected])}\n${cluster.logs()}`);
    });
    await waitFor('no prepared transaction left', async () => (await pg.query('SELECT gid FROM pg_prepared_xacts')).rowCount === 0, 60_000, 250);
    expect(await table()).toEqual(expected);
    const { rows } = await pg.query('SELECT count(*)::int AS "rows", count(DISTINCT (k, n))::int AS "distinct" FROM sums');
    expect(rows[0]).toEqual({ rows: published, distinct: published });
    await runCli(['cancel', '-m', cluster.address, jobId]);
  }, 300_000);
});
