/**
 * A registry of named metrics with labels, plus collectors that produce families on demand
 * (for values that live elsewhere, such as job status on the JobManager). Scraping asks every
 * metric and collector for its current value.
 */
import type { MetricCollector, MetricFamily, MetricType } from './metric-family.js';
import { Counter, Gauge, Meter, type MetricLabels } from './metric-types.js';

type AnyMetric = Counter | Gauge | Meter;

interface Registered {
  name: string;
  help: string;
  labels: MetricLabels;
  metric: AnyMetric;
}

/** Metrics and collectors of one process (or one component). */
export class MetricRegistry {
  private readonly metrics = new Map<string, Registered>();
  private readonly collectors = new Set<MetricCollector>();

  /** Registers (or returns the already registered) counter `name` with `labels`. */
  counter(name: string, help: string, labels: MetricLabels = {}): Counter {
    return this.register(name, help, labels, () => new Counter(), Counter);
  }

  /** Registers a gauge reading `read()`; replaces an earlier gauge with the same name and labels. */
  gauge(name: string, help: string, read: () => number, labels: MetricLabels = {}): Gauge {
    const gauge = new Gauge(read);
    this.metrics.set(seriesKey(name, labels), { name, help, labels, metric: gauge });
    return gauge;
  }

  /**
   * Registers (or returns) meter `name`. A meter appears as two families: `<name>` (the count,
   * a counter) and `<name>PerSecond` (the rate, a gauge), Flink's naming.
   */
  meter(name: string, help: string, labels: MetricLabels = {}): Meter {
    return this.register(name, help, labels, () => new Meter(), Meter);
  }

  /** Adds a collector; returns the function that removes it. */
  addCollector(collector: MetricCollector): () => void {
    this.collectors.add(collector);
    return () => this.collectors.delete(collector);
  }

  /** Removes every series whose labels include all of `labels` (e.g. one task's metrics). */
  removeMatching(labels: MetricLabels): void {
    const entries = Object.entries(labels);
    for (const [key, r] of this.metrics) {
      if (entries.every(([k, v]) => r.labels[k] === v)) this.metrics.delete(key);
    }
  }

  /** Current values of every metric and collector. */
  collect(): MetricFamily[] {
    const families = new Map<string, MetricFamily>();
    const add = (name: string, help: string, type: MetricType, labels: MetricLabels, value: number): void => {
      let f = families.get(name);
      if (!f) families.set(name, (f = { name, help, type, samples: [] }));
      f.samples.push({ labels, value });
    };
    for (const r of this.metrics.values()) {
      const m = r.metric;
      if (m instanceof Counter) add(r.name, r.help, 'counter', r.labels, m.getCount());
      else if (m instanceof Gauge) add(r.name, r.help, 'gauge', r.labels, m.getValue());
      else {
        add(r.name, r.help, 'counter', r.labels, m.getCount());
        add(`${r.name}PerSecond`, `${r.help} (per second over the last minute)`, 'gauge', r.labels, m.getRate());
      }
    }
    const out = [...families.values()];
    for (const c of this.collectors) out.push(...c());
    return out;
  }

  private register<T extends AnyMetric>(name: string, help: string, labels: MetricLabels, create: () => T, kind: abstract new (...args: never[]) => T): T {
    const key = seriesKey(name, labels);
    const existing = this.metrics.get(key);
    if (existing && existing.metric instanceof kind) return existing.metric;
    const metric = create();
    this.metrics.set(key, { name, help, labels, metric });
    return metric;
  }
}

function seriesKey(name: string, labels: MetricLabels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${name}{${parts.join(',')}}`;
}
