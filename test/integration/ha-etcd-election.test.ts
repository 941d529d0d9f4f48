/**
 * Leader election, fencing and discovery against a real etcd server (started by the test):
 * one contender wins, a later term has a larger token, a deposed leader's writes to the HA
 * store and the checkpoint storage are refused, a leader steps down when etcd is gone for
 * longer than the lease TTL and a standby wins once etcd is back, a second cluster under the
 * same cluster-id is refused, and a JobManager without a reachable etcd exits with one line.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type FlussConfig } from '../../src/core/config.js';
import { claimClusterId, clusterKeys, createEtcdClient } from '../../src/cluster/ha/etcd-connection.js';
import { FencedCheckpointStorage } from '../../src/cluster/ha/fenced-checkpoint-storage.js';
import { FencedError } from '../../src/cluster/ha/fencing.js';
import { EtcdLeaderElection, type EtcdLeadership } from '../../src/cluster/ha/leader-election.js';
import { readLeader } from '../../src/cluster/ha/leader-retrieval.js';
import { HaStore } from '../../src/cluster/jobmanager/ha-store.js';
import { LeaderJobManagerRunner } from '../../src/cluster/ha/leader-job-manager-runner.js';
import { connectToLeader } from '../../src/cluster/ha/leader-job-manager-client.js';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd-server.js';
import { freePort, runCli, waitFor } from '../helpers/process-cluster.js';

const log = pino({ level: 'silent' });

describe.skipIf(!etcdAvailable())('leader election on etcd', () => {
  let etcd: EtcdServer;
  const dir = mkdtempSync(join(tmpdir(), 'fluss-ha-it-'));
  const configOf = (clusterId: string, storageDir = join(dir, 'ha')): FlussConfig =>
    loadConfig({
      dynamic: [
        'high-availability.type=etcd',
        `high-availability.etcd.endpoints=${etcd.endpoint}`,
        `high-availability.cluster-id=${clusterId}`,
        `high-availability.storageDir=${storageDir}`,
        'high-availability.etcd.lease-ttl=2 s',
      ],
    });
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('elects one leader; the next term has a larger token and fences the deposed leader', async () => {
    const config = configOf('/fencing');
    const keys = clusterKeys('/fencing');
    const client = await createEtcdClient(config);
    try {
      // A long lease: only the deleted key (a partition, as etcd sees it) ends the first term here.
      const a = new EtcdLeaderElection(client, keys, 10_000, log);
      const b = new EtcdLeaderElection(client, keys, 10_000, log);
      const first = (await a.campaign(JSON.stringify({ contender: 'a', rpcAddress: 'a:1', restAddress: 'a:2' })))!;
      let second: EtcdLeadership | undefined;
      const pending = b.campaign(JSON.stringify({ contender: 'b', rpcAddress: 'b:1', restAddress: 'b:2' })).then((l) => (second = l));
      await new Promise((r) => setTimeout(r, 600));
      expect(second).toBeUndefined();
      expect((await readLeader(client, keys))?.rpcAddress).toBe('a:1');
      await first.check('a write');

      // The deposed term, as after a partition: the new leader is elected, the old one still runs.
      await client.delete().key(keys.leader);
      await pending;
      expect(BigInt(second!.token)).toBeGreaterThan(BigInt(first.token));
      expect((await readLeader(client, keys))?.token).toBe(second!.token);

      const store = new HaStore(join(dir, 'ha'), first);
      await expect(store.putAttempt('0'.repeat(32), 1)).rejects.toBeInstanceOf(FencedError);
      expect(existsSync(join(dir, 'ha', 'attempts'))).toBe(false);
      const storage = new FencedCheckpointStorage(first, '0'.repeat(32), join(dir, 'chk'), undefined);
      await expect(storage.initCheckpointDir(1)).rejects.toBeInstanceOf(FencedError);
      expect(existsSync(join(dir, 'chk'))).toBe(false);
      expect(first.isValid()).toBe(false);

      // The current term writes, and records the pointer's version on etcd.
      await new HaStore(join(dir, 'ha'), second!).putAttempt('0'.repeat(32), 1);
      const version = JSON.parse((await client.get(`${keys.jobs}${'0'.repeat(32)}/attempt`).string())!) as { token: string };
      expect(version.token).toBe(second!.token);
      await second!.resign();
    } finally {
      client.close();
    }
  });

  it('steps down when etcd is gone past the lease TTL, and a contender wins once etcd is back', async () => {
    const config = configOf('/etcd-loss');
    const keys = clusterKeys('/etcd-loss');
    const client = await createEtcdClient(config);
    try {
      const leadership = (await new EtcdLeaderElection(client, keys, 2_000, log).campaign('{"contender":"a"}'))!;
      let lostAt = 0;
      leadership.onLost(() => (lostAt = Date.now()));
      await etcd.kill();
      await waitFor('the leader to step down', () => lostAt > 0, 10_000, 20);
      expect(leadership.isValid()).toBe(false);
      await etcd.restart();
      const next = await new EtcdLeaderElection(client, keys, 2_000, log).campaign('{"contender":"b"}');
      expect(BigInt(next!.token)).toBeGreaterThan(BigInt(leadership.token));
      await next!.resign();
    } finally {
      client.close();
    }
  }, 60_000);

  it('refuses a second cluster under the same cluster-id', async () => {
    const client = await createEtcdClient(configOf('/shared'));
    try {
      await claimClusterId(client, configOf('/shared', join(dir, 'one')));
      await claimClusterId(client, configOf('/shared', join(dir, 'one')));
      await expect(claimClusterId(client, configOf('/shared', join(dir, 'two')))).rejects.toThrow(/cluster-id \/shared is already used .* give this cluster its own cluster-id/);
    } finally {
      client.close();
    }
  });

  it('a JobManager exits with one line when etcd is unreachable or the cluster-id is taken', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const r = await runCli(['jobmanager', '-D', 'high-availability.type=etcd', '-D', `high-availability.etcd.endpoints=${dead}`, '-D', `high-availability.storageDir=${join(dir, 'x')}`, '-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0'], {}, 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/etcd at .* is not reachable/);

    const taken = await runCli(['jobmanager', '-D', 'high-availability.type=etcd', '-D', `high-availability.etcd.endpoints=${etcd.endpoint}`, '-D', 'high-availability.cluster-id=/shared', '-D', `high-availability.storageDir=${join(dir, 'three')}`, '-D', 'rest.port=0', '-D', 'jobmanager.rpc.port=0'], {}, 60_000);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr.trim().split('\n')).toHaveLength(1);
    expect(taken.stderr).toMatch(/cluster-id \/shared is already used/);
  }, 60_000);

  it('a standby takes over from a leader that stops; its REST redirects to the leader, and a client follows the new leader', async () => {
    const config = { ...configOf('/runner'), 'jobmanager.rpc.port': 0, 'rest.port': 0, 'jobmanager.bind-host': '127.0.0.1', 'rest.bind-address': '127.0.0.1', 'rest.address': '127.0.0.1' };
    const a = new LeaderJobManagerRunner(config, log);
    const b = new LeaderJobManagerRunner(config, log);
    try {
      await a.start();
      await waitFor('a leader', () => a.leader !== undefined, 30_000);
      await b.start();
      const client = await connectToLeader(config);
      try {
        expect(client.address).toBe(a.leader!.address);
        expect(await client.listJobs(true)).toEqual([]);
        // The standby's REST port redirects to the leader's.
        const standbyRest = (b as unknown as { restPort: number }).restPort;
        const res = await fetch(`http://127.0.0.1:${standbyRest}/overview`, { redirect: 'manual' });
        expect(res.status).toBe(307);
        expect(res.headers.get('location')).toBe(`http://${a.leader!.restAddress}/overview`);

        await a.stop();
        await waitFor('the standby to lead', () => b.leader !== undefined, 30_000);
        expect(await client.listJobs(true)).toEqual([]);
        expect(client.address).toBe(b.leader!.address);
      } finally {
        client.close();
      }
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 60_000);
});
