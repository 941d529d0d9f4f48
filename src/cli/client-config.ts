/**
 * Configuration of CLI client commands (`run`, `list`, `cancel`): the same keys as the
 * daemons, from `--config <file>`, `FLUSS_PROPERTIES`, `FLUSS_TOKEN` and `-D key=value` (in
 * increasing precedence), so that a client talks to a secured cluster with the cluster's own
 * `security.ssl.internal.*` files and `security.auth.token`.
 */
import { loadConfig, type FlussConfig } from '../core/config.js';
import { rpcSecurityFromConfig, type RpcSecurity } from '../core/rpc/credentials.js';
import { JobManagerClient } from '../cluster/rpc/job-manager-client.js';
import { resolveJobManagerAddress } from './client-address.js';
import { etcdHaEnabled } from '../cluster/ha/etcd-connection.js';
import { connectToLeader } from '../cluster/ha/leader-job-manager-client.js';

/** Options every client command accepts. */
export interface ClientConfigOptions {
  /** YAML configuration file. */
  config?: string;
  /** `-D key=value` overrides. */
  define?: string[];
}

/** The client's configuration; `FLUSS_TOKEN` stands for `security.auth.token` (below `-D`). */
export function loadClientConfig(options: ClientConfigOptions, env: NodeJS.ProcessEnv): FlussConfig {
  const token = env['FLUSS_TOKEN'];
  return loadConfig({
    configFile: options.config,
    properties: env['FLUSS_PROPERTIES'] ?? '',
    dynamic: [...(token ? [`security.auth.token=${token}`] : []), ...(options.define ?? [])],
  });
}

/** TLS material and token of a client command (the PEM files are read here). */
export function clientSecurity(config: FlussConfig): RpcSecurity {
  return rpcSecurityFromConfig(config);
}

/**
 * Runs `fn` with a client of the JobManager a command addresses (`-m`, `FLUSS_JOBMANAGER` or the
 * configuration) and closes the client afterwards, whatever `fn` does.
 */
export async function withJobManagerClient<T>(
  options: ClientConfigOptions & { jobmanager?: string },
  env: NodeJS.ProcessEnv,
  fn: (client: JobManagerClient) => Promise<T>,
): Promise<T> {
  const config = loadClientConfig(options, env);
  // With leader election the leader on etcd is the address, whatever -m names, and the client follows it.
  const security = clientSecurity(config);
  const client = etcdHaEnabled(config)
    ? await connectToLeader(config, { security })
    : new JobManagerClient(resolveJobManagerAddress(options.jobmanager, env, config), { security });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
