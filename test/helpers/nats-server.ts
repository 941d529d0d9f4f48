/**
 * Starts a real `nats-server` with JetStream on a free loopback port and its own store
 * directory, for the JetStream connector tests and benches; `restart()` stops and starts it on
 * the same port and store (a server restart while a job runs). With {@link NatsServerAuth} the
 * server requires a token or a user and password from every client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process-cluster.js';

/** A running nats-server. */
export interface NatsServer {
  readonly port: number;
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Stops and starts the server on the same port and store. */
  restart(): Promise<void>;
  /** Stops the server and removes its store. */
  dispose(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Credentials every client of the server must present: a token, or a user and password. */
export interface NatsServerAuth {
  token?: string;
  user?: string;
  pass?: string;
}

/** The nats-server flags requiring `auth`. */
function authArgs(auth: NatsServerAuth): string[] {
  const args: string[] = [];
  if (auth.token !== undefined) args.push('--auth', auth.token);
  if (auth.user !== undefined) args.push('--user', auth.user, '--pass', auth.pass ?? '');
  return args;
}

/**
 * Starts `nats-server -js` on a free port (throws when it is not installed or does not come up
 * in 30 s); with `auth`, clients must present those credentials.
 */
export async function startNatsServer(auth: NatsServerAuth = {}): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fluss-nats-'));
  let proc: ChildProcess | undefined;
  let log = '';
  const launch = async (): Promise<void> => {
    const p = spawn('nats-server', ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port), ...authArgs(auth)], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = p;
    p.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (p.exitCode !== null) throw new Error(`nats-server exited with ${p.exitCode}: ${log}`);
      if (await portOpen(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not listen on ${port} within 30 s: ${log}`);
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
