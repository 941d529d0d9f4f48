/**
 * Which JobManager a CLI client talks to: `-m host:port`, else `FLUSS_JOBMANAGER`, else the
 * configuration's `jobmanager.rpc.address:jobmanager.rpc.port` (default localhost:6123).
 */
import { loadConfig, type FlussConfig } from '../core/config.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Checks that `address` looks like `host:port`. */
export function validateAddress(address: string, source: string): string {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(address.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new InvalidArgumentError(`${source} expects host:port, got "${address}"`);
  }
  return address.trim();
}

/** The JobManager address for a client command. */
export function resolveJobManagerAddress(flag: string | undefined, env: NodeJS.ProcessEnv, clientConfig?: FlussConfig): string {
  if (flag !== undefined) return validateAddress(flag, '-m');
  const fromEnv = env['FLUSS_JOBMANAGER'];
  if (fromEnv) return validateAddress(fromEnv, 'FLUSS_JOBMANAGER');
  const config = clientConfig ?? loadConfig({ properties: env['FLUSS_PROPERTIES'] ?? '' });
  return `${config['jobmanager.rpc.address']}:${config['jobmanager.rpc.port']}`;
}
