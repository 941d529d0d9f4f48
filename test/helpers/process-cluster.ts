/**
 * Starts a real Fluss cluster as separate processes from bin/fluss (JobManager plus
 * TaskManagers), for end-to-end tests. Requires `npm run build` (npm test does it first).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signalTree } from './chaos-probes.js';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI launcher. */
export const FLUSS_BIN = join(ROOT, 'bin', 'fluss');

/** Throws unless the package was built. */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before the integration tests');
  }
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** A daemon process with its captured stderr. */
export interface Daemon {
  proc: ChildProcess;
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `fluss <args>` as a long-running daemon. */
export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  return startProcess(process.execPath, [FLUSS_BIN, ...args], env);
}

/** Spawns any long-running `command <args>` (a server such as etcd) as a {@link Daemon}. */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, FLUSS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  proc.stdout!.resume();
  return {
    proc,
    stderr: () => err,
    kill: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        // A frozen (SIGSTOPped) daemon acts on no signal but SIGKILL, and its re-executed child
        // would outlive the test: wake the whole tree first, and kill the whole tree if it hangs.
        signalTree(proc.pid!, 'SIGCONT');
        const t = setTimeout(() => signalTree(proc.pid!, 'SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(t);
          res();
        });
        // A killed daemon dies whole, as a killed TaskManager does: its re-executed child too.
        if (signal === 'SIGKILL') signalTree(proc.pid!, 'SIGKILL');
        else proc.kill(signal);
      }),
  };
}

/** Result of a finished CLI invocation. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `fluss <args>` to completion (asynchronously, so daemons keep running). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((res, reject) => {
    const proc = spawn(process.execPath, [FLUSS_BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, FLUSS_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`fluss ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** Synchronous variant for quick commands. */
export function runCliSync(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [FLUSS_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, FLUSS_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A JobManager and TaskManagers as processes. */
export interface ProcessCluster {
  address: string;
  jobManager: Daemon;
  taskManagers: Daemon[];
  workDir: string;
  stop(): Promise<void>;
}

/** Starts a JobManager and `taskManagers` TaskManager processes; resolves once all slots registered. */
export async function startProcessCluster(options: { taskManagers?: number; slots?: number; extra?: string[] } = {}): Promise<ProcessCluster> {
  assertBuilt();
  const n = options.taskManagers ?? 2;
  const slots = options.slots ?? 1;
  const port = await freePort();
  const workDir = mkdtempSync(join(tmpdir(), 'fluss-it-'));
  const common = [
    '-D', `jobmanager.rpc.port=${port}`,
    '-D', 'jobmanager.rpc.address=127.0.0.1',
    '-D', `io.tmp.dirs=${join(workDir, 'tmp')}`,
    '-D', 'heartbeat.interval=500 ms',
    '-D', 'heartbeat.timeout=3 s',
    ...(options.extra ?? []),
  ];
  const jobManager = startDaemon(['jobmanager', ...common]);
  const taskManagers: Daemon[] = [];
  for (let i = 0; i < n; i++) {
    taskManagers.push(startDaemon(['taskmanager', ...common, '-D', `taskmanager.numberOfTaskSlots=${slots}`]));
  }
  const address = `127.0.0.1:${port}`;
  const cluster: ProcessCluster = {
    address,
    jobManager,
    taskManagers,
    workDir,
    async stop() {
      await Promise.all([...taskManagers.map((t) => t.kill()), jobManager.kill()]);
    },
  };
  try {
    await waitFor(`${n} TaskManagers to register`, () => {
      const registered = (jobManager.stderr().match(/TaskManager registered/g) ?? []).length;
      return registered >= n;
    }, 30_000);
  } catch (e) {
    await cluster.stop();
    throw new Error(`${(e as Error).message}\nJobManager log:\n${jobManager.stderr().slice(-3000)}`);
  }
  return cluster;
}
