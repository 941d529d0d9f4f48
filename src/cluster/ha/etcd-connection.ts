/**
 * The etcd side of `high-availability.type: etcd`: the client (etcd3, the maintained
 * TypeScript client of etcd's v3 gRPC API, already a dependency), the keys of one cluster, and
 * the start-up checks: etcd reachable (else one line and a non-zero exit) and the cluster-id
 * not taken by another cluster (another `high-availability.storageDir`).
 *
 * ```
 * /fluss<cluster-id>/leader              the leader: JSON address, bound to its lease
 * /fluss<cluster-id>/storage-dir         the cluster's high-availability.storageDir (claimed once)
 * /fluss<cluster-id>/jobs/<jobId>/<kind> version of a job's HA-store file: leader token + counter
 * ```
 */
import { resolve } from 'node:path';
import type { Etcd3 } from 'etcd3';
import type { FlussConfig } from '../../core/config.js';
import { ConfigurationError, describeError, FailedPreconditionError, UnavailableError } from '../../core/errors.js';

/** How long a start-up call to etcd may take before etcd counts as unreachable. */
const STARTUP_TIMEOUT_MS = 5_000;

/** The keys of one cluster on etcd. */
export interface ClusterKeys {
  leader: string;
  storageDir: string;
  /** Prefix of the HA store versions. */
  jobs: string;
}

/** The keys of `high-availability.cluster-id` (Flink's default `/default`). */
export function clusterKeys(clusterId: string): ClusterKeys {
  const id = clusterId.startsWith('/') ? clusterId : `/${clusterId}`;
  const root = `/fluss${id.replace(/\/+$/, '')}`;
  return { leader: `${root}/leader`, storageDir: `${root}/storage-dir`, jobs: `${root}/jobs/` };
}

/** The endpoints of `high-availability.etcd.endpoints` (comma-separated `host:port` or URLs). */
export function etcdEndpoints(config: FlussConfig): string[] {
  const raw = config['high-availability.etcd.endpoints'];
  const list = (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new ConfigurationError('high-availability.type: etcd needs high-availability.etcd.endpoints (e.g. http://etcd:2379)');
  return list.map((e) => (/^[a-z]+:\/\//i.test(e) ? e : `http://${e}`));
}

/** True when the configuration asks for leader election on etcd. */
export function etcdHaEnabled(config: FlussConfig): boolean {
  return config['high-availability.type'] === 'etcd';
}

/**
 * A client of the configured etcd. Retries and circuit breakers are off: every caller here has
 * its own deadline and loop, and a breaker would keep a returned etcd unused for seconds. The
 * client library is loaded here, on first use: it costs every process that never uses etcd
 * (each CLI call, each daemon without HA) a large share of its start-up time otherwise.
 */
export async function createEtcdClient(config: FlussConfig): Promise<Etcd3> {
  const hosts = etcdEndpoints(config);
  const [{ Etcd3 }, { noop }] = await Promise.all([import('etcd3'), import('cockatiel')]);
  return new Etcd3({
    hosts,
    dialTimeout: 2_000,
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5_000 }),
  });
}

/** Resolves once etcd answers; rejects with one line naming the endpoints otherwise. */
export async function checkEtcdReachable(client: Etcd3, config: FlussConfig): Promise<void> {
  try {
    await client.get('/fluss').options({ deadline: Date.now() + STARTUP_TIMEOUT_MS }).exec();
  } catch (err) {
    throw new UnavailableError(`etcd at ${etcdEndpoints(config).join(',')} is not reachable (high-availability.etcd.endpoints): ${describeError(err)}`, { cause: err });
  }
}

/**
 * Claims the cluster-id for this cluster's `high-availability.storageDir`: the first JobManager
 * records it; a JobManager of another cluster (another storage dir) under the same id is
 * refused, since both would elect one leader and recover each other's jobs.
 */
export async function claimClusterId(client: Etcd3, config: FlussConfig): Promise<void> {
  const configured = config['high-availability.storageDir'];
  const clusterId = config['high-availability.cluster-id'];
  // One spelling per directory, whatever the working directory of each JobManager.
  const storageDir = configured ? resolve(configured) : undefined;
  if (!storageDir) throw new ConfigurationError('high-availability.type: etcd needs high-availability.storageDir (job graphs, bundles and checkpoint pointers live there)');
  const keys = clusterKeys(clusterId);
  const res = await client
    .if(keys.storageDir, 'Create', '==', 0)
    .then(client.put(keys.storageDir).value(storageDir))
    .else(client.get(keys.storageDir))
    .commit();
  if (res.succeeded) return;
  const kv = res.responses[0]?.response_range?.kvs?.[0];
  const owner = kv ? kv.value.toString() : '';
  if (owner !== storageDir) {
    throw new FailedPreconditionError(
      `high-availability.cluster-id ${clusterId} is already used on this etcd by a cluster with high-availability.storageDir ${owner}; give this cluster its own cluster-id`,
    );
  }
}
