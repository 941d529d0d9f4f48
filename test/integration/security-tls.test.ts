/**
 * Mutual TLS and the auth token on a real cluster: a JobManager and two TaskManagers with
 * certificates from a throwaway CA and a token; a keyed job whose records cross TaskManagers
 * (data plane) runs to FINISHED. Then a plaintext client, a TLS client without the token, a
 * client with a certificate from another CA and one that does not trust the cluster's CA are
 * each refused with one clear line, and the daemons keep serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import type { StreamExecutionEnvironment } from '../../src/api/index.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { PLAINTEXT, rpcSecurityFromConfig, type RpcSecurity } from '../../src/core/rpc/credentials.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { runCli } from '../../src/cli/program.js';
import { loadConfig } from '../../src/core/config.js';
import { FlussError, UnavailableError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import { TestCertificateAuthority, tlsConfig, type CertFiles } from './security-certs.js';

const TOKEN = 'a-test-token-of-sufficient-length';

let ca: TestCertificateAuthority;
let otherCa: TestCertificateAuthority;
let nodeFiles: CertFiles;
let cluster: MiniCluster;

function security(files: CertFiles | undefined, token: string | undefined): RpcSecurity {
  return rpcSecurityFromConfig(loadConfig({ properties: '', overrides: { ...(files ? tlsConfig(files) : {}), ...(token ? { 'security.auth.token': token } : {}) } }));
}

beforeAll(async () => {
  ca = new TestCertificateAuthority('cluster');
  otherCa = new TestCertificateAuthority('other');
  nodeFiles = ca.issue('node');
  cluster = new MiniCluster({ numTaskManagers: 2, slotsPerTaskManager: 1, config: { ...tlsConfig(nodeFiles), 'security.auth.token': TOKEN } });
  await cluster.start();
}, 30_000);

afterAll(async () => {
  await cluster?.stop();
  ca?.remove();
  otherCa?.remove();
});

/** Sums per key of 1..n keyed by x % 5, at parallelism 2 (so records cross TaskManagers). */
async function runKeyedJob(client: JobManagerClient, n: number): Promise<{ status: string; sums: Map<number, number> }> {
  const sums = new Map<number, number>();
  const builder = (env: StreamExecutionEnvironment): void => {
    env.setParallelism(2);
    env
      .fromSequence(1, n)
      .map((x: number) => ({ k: x % 5, v: x }))
      .keyBy((r) => r.k)
      .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
      .addSink((r: { k: number; v: number }) => {
        sums.set(r.k, Math.max(sums.get(r.k) ?? 0, r.v));
      });
  };
  const build = () => buildJob(builder, []);
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  try {
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph: (await build()).jobGraph, programArgs: [], jobId });
    const info = await client.watchJob(jobId);
    return { status: info.status, sums };
  } finally {
    unregisterInProcessJob(hash);
  }
}

describe('mutual TLS with a token', () => {
  it('runs a keyed job across two TaskManagers over TLS with the token', async () => {
    const client = new JobManagerClient(cluster.jobManagerAddress, { security: security(ca.issue('cli'), TOKEN) });
    try {
      const { status, sums } = await runKeyedJob(client, 1000);
      expect(status).toBe('FINISHED');
      // The running sum of key k reaches the sum of all x ≡ k (mod 5); every x in 1..1000 counted once.
      let total = 0;
      for (let k = 0; k < 5; k++) {
        let expected = 0;
        for (let x = 1; x <= 1000; x++) if (x % 5 === k) expected += x;
        total += expected;
      }
      expect(total).toBe(500_500);
      expect([...sums.values()].reduce((a, b) => a + b, 0)).toBe(500_500);
      const tms = cluster.getTaskManagers();
      expect(tms.map((tm) => tm.numberOfTasks)).toEqual([0, 0]);
    } finally {
      client.close();
    }
  });

  it('refuses a plaintext client with one line', async () => {
    const client = new JobManagerClient(cluster.jobManagerAddress, { security: PLAINTEXT, connectTimeoutMs: 1_500 });
    try {
      const err = await client.listJobs(true).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toBe(
        `JobManager at ${cluster.jobManagerAddress} accepts connections but refused the channel over plaintext gRPC: a cluster with security.ssl.internal.enabled refuses it`,
      );
    } finally {
      client.close();
    }
  });

  it('refuses a TLS client without the token, or with another token, as UNAUTHENTICATED', async () => {
    const files = ca.issue('no-token');
    const without = new JobManagerClient(cluster.jobManagerAddress, { security: security(files, undefined) });
    const wrong = new JobManagerClient(cluster.jobManagerAddress, { security: security(files, 'another-token-of-enough-length') });
    try {
      await expect(without.listJobs(true)).rejects.toThrow(new FlussError('UNAUTHENTICATED', 'missing auth token: set security.auth.token or FLUSS_TOKEN'));
      await expect(wrong.cancelJob(newId())).rejects.toThrow(new FlussError('UNAUTHENTICATED', 'invalid auth token'));
      // Registering as a TaskManager needs the token too.
      await expect(without.registerTaskManager({ taskManagerId: 'rogue', rpcAddress: '127.0.0.1:1', numberOfSlots: 8 })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      without.close();
      wrong.close();
    }
  });

  it('refuses a client whose certificate another CA signed, and a client that does not trust the cluster CA', async () => {
    const foreign = otherCa.issue('intruder');
    // Trusts the cluster CA, but presents a certificate the cluster does not trust.
    const badCert = new JobManagerClient(cluster.jobManagerAddress, {
      security: { tls: security({ ...foreign, ca: nodeFiles.ca }, TOKEN).tls!, token: TOKEN },
      connectTimeoutMs: 1_500,
    });
    // Presents a foreign certificate and trusts only the foreign CA.
    const badCa = new JobManagerClient(cluster.jobManagerAddress, { security: security(foreign, TOKEN), connectTimeoutMs: 1_500 });
    try {
      for (const client of [badCert, badCa]) {
        const err = await client.listJobs(true).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(FlussError);
        expect((err as Error).message.split('\n')).toHaveLength(1);
        expect((err as Error).message).toBe(
          `JobManager at ${cluster.jobManagerAddress} accepts connections but refused the channel over mutual TLS: both sides need certificates signed by the CA of security.ssl.internal.ca`,
        );
      }
    } finally {
      badCert.close();
      badCa.close();
    }
  });

  it('keeps serving after refused calls: a later good call and job succeed', async () => {
    const client = new JobManagerClient(cluster.jobManagerAddress, { security: security(ca.issue('again'), TOKEN) });
    try {
      expect(Array.isArray(await client.listJobs(true))).toBe(true);
      expect((await runKeyedJob(client, 100)).status).toBe('FINISHED');
    } finally {
      client.close();
    }
  });

  it('lets the CLI use the same keys: -D for TLS files, FLUSS_TOKEN for the token; one line without the token', async () => {
    const files = ca.issue('cli-user');
    const defines = Object.entries(tlsConfig(files)).flatMap(([k, v]) => ['-D', `${k}=${String(v)}`]);
    const io = (env: NodeJS.ProcessEnv) => {
      const out: string[] = [];
      const err: string[] = [];
      return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: { FLUSS_PROPERTIES: '', ...env } }, out, err };
    };
    const good = io({ FLUSS_TOKEN: TOKEN });
    expect(await runCli(['list', '-a', '-m', cluster.jobManagerAddress, ...defines], good.io)).toEqual({ kind: 'exit', code: 0 });
    expect(good.out.some((l) => / : [0-9a-f]{32} : .* \(FINISHED\)$/.test(l))).toBe(true);

    const noToken = io({});
    expect(await runCli(['list', '-m', cluster.jobManagerAddress, ...defines], noToken.io)).toEqual({ kind: 'exit', code: 1 });
    expect(noToken.err).toEqual(['Error: missing auth token: set security.auth.token or FLUSS_TOKEN']);
  });
});
