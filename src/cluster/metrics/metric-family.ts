/**
 * Collected metric values, independent of where they came from: a family is one metric name
 * with its help text, Prometheus type and samples (one per label set). Registries, the
 * JobManager's job metrics and TaskManager reports all produce families; the Prometheus
 * exposition renders them.
 */
import type { MetricLabels } from './metric-types.js';

/** Prometheus metric types used by Fluss. */
export type MetricType = 'counter' | 'gauge';

/** One value of one time series. */
export interface MetricSample {
  labels: MetricLabels;
  value: number;
}

/** All time series of one metric name. */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

/** Something that yields metric families when scraped. */
export type MetricCollector = () => MetricFamily[];

/**
 * Merges families of the same name (samples appended in order). The first help text and type
 * of a name win.
 */
export function mergeFamilies(families: Iterable<MetricFamily>): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const f of families) {
    const existing = byName.get(f.name);
    if (existing) existing.samples.push(...f.samples);
    else byName.set(f.name, { name: f.name, help: f.help, type: f.type, samples: [...f.samples] });
  }
  return [...byName.values()];
}
