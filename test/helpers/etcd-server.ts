/**
 * A single-member etcd server for tests: started from the `etcd` binary (installed by .ci/run)
 * on free loopback ports for its client and peer URLs, with its data in a temporary directory.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './process-cluster.js';

/** A running etcd. */
export interface EtcdServer {
  /** `http://127.0.0.1:<port>`, for `high-availability.etcd.endpoints`. */
  endpoint: string;
  proc: ChildProcess;
  /** Kills the server (SIGKILL), keeping its data directory. */
  kill(): Promise<void>;
  /** Starts the server again on the same ports and data. */
  restart(): Promise<void>;
  /** Kills the server and removes its data. */
  stop(): Promise<void>;
}

/** True when the `etcd` binary is on the PATH. */
export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts etcd and resolves once it answers on its client URL. */
export async function startEtcd(): Promise<EtcdServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fluss-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'fluss-test', '--data-dir', join(dataDir, 'data'),
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `fluss-test=${peer}`, '--log-level', 'warn',
  ];
  let proc!: ChildProcess;
  const launch = async (): Promise<void> => {
    proc = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.resume();
    server.proc = proc;
    await waitFor('etcd to answer', async () => {
      try {
        return (await fetch(`${endpoint}/health`)).ok;
      } catch {
        return false;
      }
    }, 30_000, 100);
  };
  const kill = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  const server: EtcdServer = {
    endpoint,
    proc,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await launch();
  return server;
}
