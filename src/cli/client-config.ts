/**
 * Configuration of CLI client commands (`run`, `list`, `cancel`): the same keys as the
 * daemons, from `--config <file>`, `FLUSS_PROPERTIES`, `FLUSS_TOKEN` and `-D key=value` (in
 * increasing precedence), so that a client talks to a secured cluster with the cluster's own
 * `security.ssl.internal.*` files and `security.auth.token`.
 */
import { loadConfig, type FlussConfig } from '../core/config.js';
import { rpcSecurityFromConfig, type RpcSecurity } from '../cluster/rpc/credentials.js';

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
