/**
 * Cluster configuration: one zod schema with defaults, read from (in increasing precedence)
 * a YAML config file, the `FLUSS_PROPERTIES` environment variable and `-D key=value` flags.
 * Keys use Flink's names where Flink has them. Unknown or ill-typed keys fail with the key named.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigurationError } from './errors.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1, milli: 1, millis: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000, m: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1, bytes: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
};

/**
 * A non-negative number, or a string `<number> [unit]` scaled by `units[unit]` (case-insensitive,
 * `defaultUnit` when the unit is omitted) and rounded; undefined for anything else.
 */
function parseWithUnits(value: unknown, units: Record<string, number>, defaultUnit: string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase() || defaultUnit;
  const factor = units[unit];
  return factor === undefined ? undefined : Math.round(Number(m[1]) * factor);
}

/** Parses `500`, `"500 ms"`, `"10 s"`, `"1 min"` into milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  return parseWithUnits(value, DURATION_UNITS, 'ms');
}

/** Parses `1048576`, `"256 mb"`, `"1g"` into bytes. */
export function parseMemorySize(value: unknown): number | undefined {
  return parseWithUnits(value, SIZE_UNITS, 'b');
}

const duration = (def: number) =>
  z.preprocess((v) => parseDuration(v) ?? v, z.number({ error: 'expected a duration such as 500 ms or 10 s' }).nonnegative()).default(def);
const memory = (def: number) =>
  z.preprocess((v) => parseMemorySize(v) ?? v, z.number({ error: 'expected a size such as 256 mb' }).nonnegative()).default(def);
const optionalMemory = () =>
  z.preprocess((v) => parseMemorySize(v) ?? v, z.number({ error: 'expected a size such as 1728 mb' }).positive()).optional();
const fraction = (def: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), z.number().gt(0).lt(1)).default(def);
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max)).default(def);
const bool = (def: boolean) =>
  z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).default(def);
const str = (def: string) => z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().min(1)).default(def);

/** The configuration schema. Keys are flat, dotted, Flink-style. */
export const configSchema = z.strictObject({
  'jobmanager.rpc.address': str('localhost'),
  'jobmanager.rpc.port': int(6123, 0, 65535),
  'jobmanager.bind-host': str('127.0.0.1'),
  'rest.port': int(8081, 0, 65535),
  'rest.address': str('localhost'),
  'rest.bind-address': str('127.0.0.1'),
  'taskmanager.rpc.port': int(0, 0, 65535),
  'taskmanager.bind-host': str('127.0.0.1'),
  'taskmanager.host': z.string().optional(),
  'taskmanager.numberOfTaskSlots': int(1, 1, 1024),
  'taskmanager.registration.initial-backoff': duration(200),
  'taskmanager.registration.max-backoff': duration(5_000),
  'taskmanager.network.memory.buffers-per-channel': int(4, 1, 1024),
  'taskmanager.network.memory.buffer-size': memory(32 * 1024),
  'taskmanager.network.request-timeout': duration(30_000),
  'io.tmp.dirs': str(join(tmpdir(), 'fluss')),
  'state.checkpoints.dir': z.string().optional(),
  'state.savepoints.dir': z.string().optional(),
  // 3, not Flink's 1: a damaged latest checkpoint still leaves older ones to fall back to.
  'state.checkpoints.num-retained': int(3, 1),
  // Opt-in: a job whose completed checkpoints are all damaged starts from empty state instead of failing.
  'execution.checkpointing.restore-from-empty-on-damage': bool(false),
  // Unaligned checkpoints (exactly-once only; savepoints stay aligned), Flink's keys.
  'execution.checkpointing.unaligned.enabled': bool(false),
  'execution.checkpointing.aligned-checkpoint-timeout': duration(0),
  'state.backend.type': z.enum(['leveldb', 'memory']).default('leveldb'),
  // Flink's key: LOG keeps a daemon up when job code throws from a callback of its own
  // (a timer, an event handler), FAIL ends the process.
  'cluster.uncaught-exception-handling': z.enum(['LOG', 'FAIL']).default('LOG'),
  // Unset: each LevelDB database's write-back cache gets its share of the TaskManager's managed
  // memory; set: that bound per database, as before managed memory existed.
  'state.backend.leveldb.cache.size': z.preprocess((v) => parseMemorySize(v) ?? v, z.number({ error: 'expected a size such as 256 mb' }).nonnegative()).optional(),
  // Timers per domain, keyed operator and subtask held in memory over LevelDB (the head of the
  // queue; the rest stays in LevelDB). Flink's RocksDB key counts per key group instead.
  'state.backend.leveldb.timer-service.cache-size': z.coerce.number().int().min(2).optional(),
  // Incremental checkpoints of the LevelDB backend (src/checkpoint/incremental-keyed-state.ts):
  // a changelog of the changes between checkpoints, materialized once the chain of files a
  // restore applies reaches max-chain-length; a changelog over max-size makes the next one full.
  'state.backend.incremental': bool(true),
  'state.backend.incremental.max-chain-length': int(20, 1),
  'state.backend.incremental.changelog.max-size': memory(64 * 1024 * 1024),
  'state.backend.incremental.max-delta-ratio': z.preprocess((v) => (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), z.number().positive()).default(1),
  // Task-local recovery (src/checkpoint/task-local-state-store.ts), Flink's keys: each TaskManager
  // keeps a secondary copy of its subtasks' state of the latest completed checkpoint and restores
  // a subtask restarted on it from there. Unset root-dirs: `local-state` in the TaskManager's temp
  // directory; several comma-separated dirs: the first is used.
  'state.backend.local-recovery': bool(false),
  'taskmanager.state.local.root-dirs': z.string().min(1).optional(),
  // The TaskManager memory model (src/cluster/taskmanager/task-manager-memory.ts), Flink's keys.
  'taskmanager.memory.process.size': optionalMemory(),
  'taskmanager.memory.heap.size': optionalMemory(),
  'taskmanager.memory.managed.size': optionalMemory(),
  'taskmanager.memory.managed.fraction': fraction(0.4),
  'taskmanager.memory.jvm-overhead.fraction': fraction(0.1),
  'taskmanager.memory.jvm-overhead.min': memory(192 * 1024 * 1024),
  'taskmanager.memory.jvm-overhead.max': memory(1024 * 1024 * 1024),
  'high-availability.storageDir': z.string().optional(),
  // Leader election on etcd (src/cluster/ha/): `none` keeps one JobManager (recovering from storageDir).
  'high-availability.type': z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['none', 'etcd'])).default('none'),
  'high-availability.etcd.endpoints': z.string().optional(),
  'high-availability.cluster-id': str('/default'),
  'high-availability.etcd.lease-ttl': duration(3_000),
  'heartbeat.interval': duration(1_000),
  'heartbeat.timeout': duration(5_000),
  'parallelism.default': int(1, 1, 32768),
  'slot.request.timeout': duration(30_000),
  // Elastic scaling (README "Elastic scaling"): the adaptive scheduler and reactive mode, Flink's keys.
  'jobmanager.scheduler': z.enum(['default', 'adaptive']).default('default'),
  'scheduler-mode': z.enum(['reactive']).optional(),
  'jobmanager.adaptive-scheduler.resource-wait-timeout': duration(300_000),
  'jobmanager.adaptive-scheduler.resource-stabilization-timeout': duration(10_000),
  'jobmanager.adaptive-scheduler.scaling-interval.min': duration(30_000),
  // The autoscaler (Flink Kubernetes operator's algorithm, job.autoscaler.* there).
  'jobmanager.autoscaler.enabled': bool(false),
  'jobmanager.autoscaler.interval': duration(10_000),
  'jobmanager.autoscaler.metrics.window': duration(120_000),
  'jobmanager.autoscaler.stabilization.interval': duration(60_000),
  'jobmanager.autoscaler.target.utilization': fraction(0.7),
  'jobmanager.autoscaler.target.utilization.boundary': fraction(0.1),
  'jobmanager.autoscaler.scale-down.max-factor': fraction(0.6),
  'jobmanager.autoscaler.scale-down.interval': duration(300_000),
  // A source's backlog (pendingRecords) is to be caught up within this, on top of its input rate.
  'jobmanager.autoscaler.catch-up.duration': duration(300_000),
  // How long a job builder may run, on the client and on each TaskManager that runs it again.
  'client.job-builder.timeout': duration(60_000),
  'execution.buffer-timeout': duration(5),
  'pipeline.auto-watermark-interval': duration(200),
  'metrics.port': int(0, 0, 65535),
  // Security (README "Security"): mutual TLS on every internal gRPC connection, a bearer token
  // for clients, payload bounds, and what sources do with records they cannot parse.
  'security.ssl.internal.enabled': bool(false),
  'security.ssl.internal.key': z.string().min(1).optional(),
  'security.ssl.internal.cert': z.string().min(1).optional(),
  'security.ssl.internal.ca': z.string().min(1).optional(),
  'security.ssl.internal.verify-hostname': bool(true),
  'security.auth.token': z.string().min(16, 'a token needs at least 16 characters').optional(),
  'blob.max-size': memory(128 * 1024 * 1024),
  'rpc.json.max-size': memory(16 * 1024 * 1024),
  'pipeline.poison-records.policy': z.enum(['fail', 'skip']).default('fail'),
  'pipeline.poison-records.log-interval': duration(5_000),
  'log.level': z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/** A validated configuration. */
export type FlussConfig = z.infer<typeof configSchema>;

/** Raw, unvalidated key/value pairs from one source. */
export type RawConfig = Record<string, unknown>;

/** Flattens nested YAML maps into dotted keys (`a: {b: 1}` → `a.b: 1`). */
export function flattenConfig(obj: unknown, prefix = '', out: RawConfig = {}): RawConfig {
  if (obj === null || obj === undefined) return out;
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    if (prefix) out[prefix] = obj;
    return out;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(key in configSchema.shape)) {
      flattenConfig(v, key, out);
    } else {
      out[key] = v;
    }
  }
  return out;
}

/** Parses `key: value` lines (FLUSS_PROPERTIES, as docker-compose passes it). */
export function parseProperties(text: string): RawConfig {
  const out: RawConfig = {};
  for (const [i, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const idx = line.indexOf(':');
    if (idx <= 0) throw new ConfigurationError(`FLUSS_PROPERTIES line ${i + 1} is not "key: value": ${line}`);
    out[line.slice(0, idx).trim()] = unquote(line.slice(idx + 1).trim());
  }
  return out;
}

/** Parses `-D key=value` flags. */
export function parseDynamicProperties(flags: readonly string[]): RawConfig {
  const out: RawConfig = {};
  for (const flag of flags) {
    const idx = flag.indexOf('=');
    if (idx <= 0) throw new ConfigurationError(`-D expects key=value, got "${flag}"`);
    out[flag.slice(0, idx).trim()] = unquote(flag.slice(idx + 1).trim());
  }
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) ? v.slice(1, -1) : v;
}

/** Reads and flattens a YAML config file. */
export function readConfigFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigurationError(`cannot read config file ${path}: ${(cause as Error).message}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new ConfigurationError(`config file ${path} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  return flattenConfig(doc);
}

/** Keys whose values are secret. */
const SECRET_KEYS = new Set(['security.auth.token']);

/** Validates merged raw key/values; the error names the first bad key. */
export function validateConfig(raw: RawConfig): FlussConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) {
    checkSecurityKeys(result.data);
    return result.data;
  }
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    throw new ConfigurationError(`unknown configuration key${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`);
  }
  const key = issue.path.join('.');
  // Secrets are never echoed into logs or terminals.
  const shown = SECRET_KEYS.has(key) ? '<hidden>' : JSON.stringify(raw[key]);
  throw new ConfigurationError(`invalid value for configuration key ${key}: ${shown} (${issue.message})`);
}

/** TLS needs all three PEM files: enabling it without one fails naming the missing key. */
function checkSecurityKeys(config: FlussConfig): void {
  if (!config['security.ssl.internal.enabled']) return;
  for (const key of ['security.ssl.internal.key', 'security.ssl.internal.cert', 'security.ssl.internal.ca'] as const) {
    if (!config[key]) throw new ConfigurationError(`security.ssl.internal.enabled is true but ${key} is not set (a PEM file path)`);
  }
}

/** Where configuration comes from. */
export interface ConfigSources {
  /** Path of a YAML config file. */
  configFile?: string;
  /** Text of FLUSS_PROPERTIES; defaults to `process.env.FLUSS_PROPERTIES`. */
  properties?: string;
  /** `-D key=value` flags. */
  dynamic?: readonly string[];
  /** Programmatic overrides, highest precedence (mini-cluster, tests). */
  overrides?: RawConfig;
}

/** Loads configuration from all sources in precedence order. */
export function loadConfig(sources: ConfigSources = {}): FlussConfig {
  const props = sources.properties ?? process.env['FLUSS_PROPERTIES'];
  const raw: RawConfig = {
    ...(sources.configFile ? readConfigFile(sources.configFile) : {}),
    ...(props ? parseProperties(props) : {}),
    ...(sources.dynamic ? parseDynamicProperties(sources.dynamic) : {}),
    ...(sources.overrides ?? {}),
  };
  return validateConfig(raw);
}
