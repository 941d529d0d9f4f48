/**
 * The README's walk-through, run as shipped (`examples/orders-per-customer.ts`) on a process
 * cluster against real nats-server and PostgreSQL: orders from JetStream joined with the
 * customer table captured from PostgreSQL, summed per customer and minute, written exactly
 * once. The table must equal the sums computed here, with every customer's name, and no
 * prepared transaction may be left once the job is idle.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type ProcessCluster, runCli, startProcessCluster, waitFor } from '../helpers/process-cluster.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.js';

const CUSTOMERS = 20;
const ORDERS = 600;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

let cluster: ProcessCluster;
let nats: NatsServer;
let pg: PostgresServer;

beforeAll(async () => {
  const checkpoints = mkdtempSync(join(tmpdir(), 'fluss-orders-cp-'));
  [nats, pg, cluster] = await Promise.all([startNatsServer(), startPostgres(), startProcessCluster({ taskManagers: 1, slots: 4, extra: ['-D', `state.checkpoints.dir=${checkpoints}`] })]);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await nats?.dispose();
  await pg?.destroy();
});

describe('examples/orders-per-customer.ts', () => {
  it('writes the per-customer, per-minute totals of the orders with the customer names, exactly once', async () => {
    await pg.query('CREATE TABLE customers (id int PRIMARY KEY, name text)');
    await pg.query(`INSERT INTO customers SELECT i, 'customer ' || i FROM generate_series(1, ${CUSTOMERS}) i`);
    await pg.query('CREATE TABLE customer_totals (customer_id int, window_start timestamptz, name text, orders int, total numeric, PRIMARY KEY (customer_id, window_start))');
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    const js = jetstream(nc);
    const expected = new Map<string, { orders: number; total: number }>();
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const customerId = 1 + ((i * 7) % CUSTOMERS);
      const ts = T0 + Math.floor((i * 5 * 60_000) / ORDERS) + (i % 3) * 1000; // five minutes, slightly out of order
      const amount = 1 + (i % 50);
      acks.push(js.publish(`orders.${customerId % 4}`, JSON.stringify({ orderId: i, customerId, amount, ts })));
      const key = `${customerId} ${Math.floor(ts / 60_000) * 60_000}`;
      const e = expected.get(key) ?? { orders: 0, total: 0 };
      expected.set(key, { orders: e.orders + 1, total: e.total + amount });
    }
    await Promise.all(acks);
    await nc.close();

    const run = await runCli(['run', '-m', cluster.address, '-d', join(ROOT, 'examples', 'orders-per-customer.ts'), nats.url, pg.url, 'bounded']);
    expect(run.code, run.stderr).toBe(0);
    const jobId = /[0-9a-f]{32}/.exec(run.stdout)?.[0];
    expect(jobId).toBeDefined();
    const table = async () => {
      const { rows } = await pg.query('SELECT customer_id, window_start, name, orders, total::text AS total FROM customer_totals');
      return rows as { customer_id: number; window_start: Date; name: string; orders: number; total: string }[];
    };
    await waitFor('all totals', async () => (await table()).length >= expected.size, 120_000, 250);
    await waitFor('no prepared transaction left', async () => (await pg.query('SELECT gid FROM pg_prepared_xacts')).rowCount === 0, 60_000, 250);
    const got = new Map((await table()).map((r) => [`${r.customer_id} ${r.window_start.getTime()}`, r]));
    expect(got.size).toBe(expected.size);
    for (const [key, e] of expected) {
      const r = got.get(key);
      expect(r, key).toBeDefined();
      expect({ orders: r!.orders, total: Number(r!.total), name: r!.name }).toEqual({ orders: e.orders, total: e.total, name: `customer ${key.split(' ')[0]}` });
    }
    const cancel = await runCli(['cancel', '-m', cluster.address, jobId!]);
    expect(cancel.code, cancel.stderr).toBe(0);
  }, 240_000);
});
