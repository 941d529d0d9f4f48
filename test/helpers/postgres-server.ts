/**
 * A throw-away PostgreSQL server for tests: `initdb` in a temp dir, `postgres` on a free
 * loopback port with `wal_level=logical` and `max_prepared_transactions=20`, password
 * authentication over TCP (so tests can try wrong credentials). PostgreSQL refuses to run as
 * root: as root the server runs as the unprivileged user `fluss-pg` (created when missing).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from './process-cluster.js';

/** A running test server. */
export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** A connected client (close it yourself). */
  client(): Promise<pg.Client>;
  /** Runs SQL on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Stops the server (fast shutdown), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

const OS_USER = 'fluss-pg';

function asServerUser(): string[] {
  if (process.getuid?.() !== 0) return [];
  try {
    execFileSync('id', [OS_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', OS_USER], { stdio: 'ignore' });
  }
  return ['runuser', '-u', OS_USER, '--'];
}

/** Starts a fresh server; call `destroy()` when done. */
export async function startPostgres(): Promise<PostgresServer> {
  const prefix = asServerUser();
  const dir = mkdtempSync(join(tmpdir(), 'fluss-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  const user = 'fluss';
  const password = 'fluss-test-pw';
  const database = 'postgres';
  writeFileSync(pwfile, password + '\n', { mode: 0o644 });
  const run = (cmd: string, args: string[]) => {
    const [bin, ...rest] = prefix.length > 0 ? [...prefix, cmd, ...args] : [cmd, ...args];
    execFileSync(bin!, rest, { stdio: 'pipe' });
  };
  run('initdb', ['-D', data, '-U', user, '--pwfile', pwfile, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const port = await freePort();
  const host = '127.0.0.1';
  let proc: ChildProcess | undefined;
  let log = '';
  const start = async () => {
    const args = ['postgres', '-D', data, '-p', String(port), '-k', dir, '-c', `listen_addresses=${host}`, '-c', 'wal_level=logical',
      '-c', 'max_prepared_transactions=20', '-c', 'max_wal_senders=10', '-c', 'max_replication_slots=10', '-c', 'fsync=off',
      '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=32MB'];
    const [bin, ...rest] = [...prefix, ...args];
    const child = spawn(bin!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
    });
    proc = child;
    await waitFor(`PostgreSQL on ${host}:${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${log}`);
      const c = new pg.Client({ host, port, user, password, database });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await c.end().catch(() => undefined);
      }
    }, 60_000, 100);
  };
  const stop = async () => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((res) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        res();
      });
      child.kill('SIGINT'); // fast shutdown
    });
  };
  await start();
  const server: PostgresServer = {
    host,
    port,
    user,
    password,
    database,
    url: `postgres://${user}:${password}@${host}:${port}/${database}`,
    async client() {
      const c = new pg.Client({ host, port, user, password, database });
      await c.connect();
      return c;
    },
    async query(sql, params) {
      const c = await server.client();
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    },
    stop,
    restart: start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
