/**
 * A job's own configuration (Flink's `env.configure(...)`): the keys a job may set for itself,
 * winning over the cluster's for that job only — as the Flink Kubernetes operator takes the
 * autoscaler's options per deployment. Validated with the cluster's schema, so a value means
 * the same in a job as in `fluss-conf.yaml`.
 */
import { configSchema, type FlussConfig } from './config.js';
import { ConfigurationError } from './errors.js';

/** What a job configures: key → value as it would appear in the configuration file. */
export type JobConfiguration = Readonly<Record<string, string | number | boolean>>;

/** Keys a job may set for itself; the autoscaler's sampling interval stays cluster-wide (one timer). */
export const JOB_SCOPED_KEYS = [
  'jobmanager.autoscaler.enabled',
  'jobmanager.autoscaler.metrics.window',
  'jobmanager.autoscaler.stabilization.interval',
  'jobmanager.autoscaler.target.utilization',
  'jobmanager.autoscaler.target.utilization.boundary',
  'jobmanager.autoscaler.scale-down.max-factor',
  'jobmanager.autoscaler.scale-down.interval',
  'jobmanager.autoscaler.catch-up.duration',
] as const satisfies readonly (keyof FlussConfig)[];

/** A key a job may set. */
export type JobScopedKey = (typeof JOB_SCOPED_KEYS)[number];

const SCOPED = new Set<string>(JOB_SCOPED_KEYS);

/**
 * Parses a job's configuration into typed values; ConfigurationError with one line naming the
 * first key that is not job-scoped or whose value is invalid.
 */
export function parseJobConfiguration(raw: unknown): Partial<Pick<FlussConfig, JobScopedKey>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigurationError('the job configuration must be an object of key → value');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!SCOPED.has(key)) throw new ConfigurationError(`configuration key ${key} cannot be set by a job (job-scoped keys: ${JOB_SCOPED_KEYS.join(', ')})`);
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new ConfigurationError(`invalid value for configuration key ${key}: ${JSON.stringify(value) ?? 'nothing'}`);
    const parsed = configSchema.shape[key as JobScopedKey].safeParse(value);
    if (!parsed.success) throw new ConfigurationError(`invalid value for configuration key ${key}: ${JSON.stringify(value)} (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    out[key] = parsed.data;
  }
  return out as Partial<Pick<FlussConfig, JobScopedKey>>;
}
