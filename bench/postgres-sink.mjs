#!/usr/bin/env node
// PostgresSink rows/s in upsert mode at batch 1000 (AT_LEAST_ONCE and EXACTLY_ONCE) against a
// plain COPY of the same rows into the same kind of table, on a throw-away local server
// (initdb/postgres on PATH; as root it runs as the user fluss-pg).
// Usage: npm run bench -- postgres-sink [rows=200000]
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresSink } from '../dist/connectors/postgres/index.js';

const rows = Number(process.argv[2] ?? 200_000);

async function startServer() {
  const prefix = process.getuid?.() === 0 ? ['runuser', '-u', 'fluss-pg', '--'] : [];
  if (prefix.length) {
    try { execFileSync('id', ['fluss-pg'], { stdio: 'ignore' }); } catch { execFileSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', 'fluss-pg']); }
  }
  const dir = mkdtempSync(join(tmpdir(), 'fluss-pg-bench-'));
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, 'pw'), 'bench\n', { mode: 0o644 });
  const run = (args) => execFileSync(args[0], args.slice(1), { stdio: 'pipe' });
  run([...prefix, 'initdb', '-D', join(dir, 'data'), '-U', 'bench', '--pwfile', join(dir, 'pw'), '-A', 'scram-sha-256', '--no-sync', '--locale', 'C']);
  const port = await new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
  const args = [...prefix, 'postgres', '-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_prepared_transactions=20', '-c', 'fsync=off', '-c', 'synchronous_commit=off'];
  const proc = spawn(args[0], args.slice(1), { stdio: 'ignore' });
  const url = `postgres://bench:bench@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    const c = new pg.Client(url);
    try { await c.connect(); await c.end(); break; } catch { if (i > 300) throw new Error('postgres did not start'); await new Promise((r) => setTimeout(r, 100)); }
  }
  return { url, stop: async () => { proc.kill('SIGINT'); await new Promise((r) => proc.once('exit', r)); rmSync(dir, { recursive: true, force: true }); } };
}

/** COPY … FROM STDIN through pg's protocol hooks (what pg-copy-streams does). */
function copyIn(client, sql, chunks) {
  return new Promise((resolve, reject) => {
    let error;
    client.query({
      submit(connection) { connection.query(sql); },
      handleCopyInResponse(connection) { for (const c of chunks) connection.sendCopyFromChunk(c); connection.endCopyFrom(); },
      handleCommandComplete() {}, handleRowDescription() {}, handleDataRow() {}, handleEmptyQuery() {}, handlePortalSuspended() {}, handleCopyData() {},
      handleError(err) { error = err; },
      handleReadyForQuery() { if (error) reject(error); else resolve(); },
    });
  });
}

const server = await startServer();
const admin = new pg.Client(server.url);
await admin.connect();
const data = Array.from({ length: rows }, (_, i) => ({ k: i, v: `value-${i}`, n: i * 3 }));
const results = {};
for (const round of [1, 2]) {
  // COPY of the same rows.
  await admin.query('DROP TABLE IF EXISTS t_copy; CREATE TABLE t_copy (k int PRIMARY KEY, v text, n bigint)');
  const lines = [];
  for (let i = 0; i < rows; i += 10_000) lines.push(Buffer.from(data.slice(i, i + 10_000).map((r) => `${r.k}\t${r.v}\t${r.n}\n`).join('')));
  let t0 = performance.now();
  await copyIn(admin, 'COPY t_copy (k, v, n) FROM STDIN', lines);
  const copyS = (performance.now() - t0) / 1000;
  for (const guarantee of ['AT_LEAST_ONCE', 'EXACTLY_ONCE']) {
    await admin.query('DROP TABLE IF EXISTS t_sink; CREATE TABLE t_sink (k int PRIMARY KEY, v text, n bigint)');
    const sink = PostgresSink.builder().setConnection({ url: server.url }).setTable('t_sink').setColumns(['k', 'v', 'n']).setKeyColumns(['k'])
      .setBatchSize(1000).setBatchIntervalMs(200).setDeliveryGuarantee(guarantee).setTransactionIdPrefix('bench').build();
    const w = sink.createWriter({ subtaskIndex: 0, parallelism: 1, attemptNumber: 0, jobId: 'bench', operatorName: 'bench' });
    const list = () => { let items = []; return { get: () => items, add: (v) => items.push(v), addAll: (v) => items.push(...v), update: (v) => (items = [...v]), clear: () => (items = []) }; };
    const split = list(), union = list();
    await w.initializeState({ isRestored: false, restoredCheckpointId: undefined, getListState: () => split, getUnionListState: () => union, getOperatorStateStore: () => ({}) });
    const ctx = {};
    t0 = performance.now();
    for (const r of data) w.write(r, ctx);
    await w.flush(true);
    const sinkS = (performance.now() - t0) / 1000;
    await w.close();
    const { rows: [{ c }] } = await admin.query('SELECT count(*)::int AS c FROM t_sink');
    if (c !== rows) throw new Error(`sink wrote ${c} rows, expected ${rows}`);
    const rate = rows / sinkS;
    const copyRate = rows / copyS;
    console.log(`round ${round}: PostgresSink upsert ${guarantee} batch 1000: ${Math.round(rate)} rows/s; COPY: ${Math.round(copyRate)} rows/s; ratio ${(rate / copyRate).toFixed(2)}`);
    results[`${guarantee}_round${round}`] = { sinkRowsPerS: Math.round(rate), copyRowsPerS: Math.round(copyRate), ratio: Number((rate / copyRate).toFixed(3)) };
  }
}
await admin.end();
await server.stop();
console.log(JSON.stringify({ bench: 'postgres-sink', rows, results }));
