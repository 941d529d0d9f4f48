/**
 * A {@link JobManagerClient} that follows the leader of a `high-availability.type: etcd`
 * cluster: it connects to the leader named on etcd, and when a call fails because that
 * JobManager is gone it waits for the next leader to be published (a new fencing token) and
 * retries the call there once. `submitJob` is not retried: a submission the old leader may have
 * accepted is recovered by the new leader, and resubmitting would run the job twice.
 */
import type { Etcd3 } from 'etcd3';
import type { FlussConfig } from '../../core/config.js';
import { UnavailableError } from '../../core/errors.js';
import { JobManagerClient, type JobManagerClientOptions } from '../rpc/job-manager-client.js';
import { checkEtcdReachable, clusterKeys, createEtcdClient, type ClusterKeys } from './etcd-connection.js';
import { readLeader, waitForLeader, type LeaderInfo } from './leader-retrieval.js';

/** How long a client waits for a (new) leader. */
const LEADER_TIMEOUT_MS = 30_000;

/** Methods never retried at another leader. */
const NOT_RETRIED = new Set<PropertyKey>(['submitJob']);

/**
 * Connects to the leading JobManager of the cluster `config` names on etcd; the client follows
 * later leaders. `close()` also closes its etcd connection.
 */
export async function connectToLeader(config: FlussConfig, options: JobManagerClientOptions = {}, timeoutMs = LEADER_TIMEOUT_MS): Promise<JobManagerClient> {
  const etcd = await createEtcdClient(config);
  try {
    await checkEtcdReachable(etcd, config);
    const keys = clusterKeys(config['high-availability.cluster-id']);
    const leader = await waitForLeader(etcd, keys, timeoutMs);
    return followingClient(etcd, keys, leader, options, timeoutMs);
  } catch (err) {
    etcd.close();
    throw err;
  }
}

function followingClient(etcd: Etcd3, keys: ClusterKeys, first: LeaderInfo, options: JobManagerClientOptions, timeoutMs: number): JobManagerClient {
  let leader = first;
  let client = new JobManagerClient(leader.rpcAddress, options);
  /** Waits for a leader other than the one that failed; false when none appears in time. */
  const nextLeader = async (): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const current = await readLeader(etcd, keys).catch(() => undefined);
      if (current && current.token !== leader.token) {
        leader = current;
        client.close();
        client = new JobManagerClient(current.rpcAddress, options);
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  };
  return new Proxy(client, {
    get(_target, prop) {
      if (prop === 'address') return client.address;
      if (prop === 'close') {
        return () => {
          client.close();
          etcd.close();
        };
      }
      const value = (client as unknown as Record<PropertyKey, unknown>)[prop];
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const call = (): Promise<unknown> => ((client as unknown as Record<PropertyKey, (...a: unknown[]) => Promise<unknown>>)[prop]!)(...args);
        try {
          return await call();
        } catch (err) {
          if (!(err instanceof UnavailableError) || NOT_RETRIED.has(prop) || !(await nextLeader())) throw err;
          return call();
        }
      };
    },
  });
}
