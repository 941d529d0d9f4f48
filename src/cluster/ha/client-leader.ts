/**
 * Clients (`fluss` CLI commands) under `high-availability.type: etcd` address the leading
 * JobManager found on etcd, as Flink's clients use the HA services' leader retrieval: any
 * JobManager address given (`-m`) may be a dead or standby one.
 */
import type { FlussConfig } from '../../core/config.js';
import { checkEtcdReachable, clusterKeys, createEtcdClient } from './etcd-connection.js';
import { waitForLeader } from './leader-retrieval.js';

/** How long a client waits for a leader to be elected. */
const CLIENT_LEADER_TIMEOUT_MS = 30_000;

/** `host:port` of the leading JobManager's gRPC server. */
export async function leaderAddressOf(config: FlussConfig, timeoutMs = CLIENT_LEADER_TIMEOUT_MS): Promise<string> {
  const client = await createEtcdClient(config);
  try {
    await checkEtcdReachable(client, config);
    return (await waitForLeader(client, clusterKeys(config['high-availability.cluster-id']), timeoutMs)).rpcAddress;
  } finally {
    client.close();
  }
}
