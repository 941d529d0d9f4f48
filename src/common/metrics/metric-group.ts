/**
 * Flink's `MetricGroup` as `getRuntimeContext().getMetricGroup()` hands it to a function: named
 * counters, gauges, meters and histograms in the operator's scope, and sub-groups. The
 * TaskManager exports them with the operator's scope labels (job, task, subtask, operator).
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Histogram } from './histogram.js';
import { type Counter, type Gauge, type Meter, SimpleCounter } from './metric-types.js';

/** Flink's `MetricGroup`. */
export interface MetricGroup {
  /** Registers (or returns the registered) counter `name`; a given counter is registered as it is. */
  counter(name: string, counter?: Counter): Counter;
  /** Registers a gauge: an object with `getValue()` or a function. */
  gauge<T>(name: string, gauge: Gauge<T> | (() => T)): Gauge<T>;
  /** Registers a meter (e.g. `new MeterView(60)`). */
  meter<M extends Meter>(name: string, meter: M): M;
  /** Registers a histogram (e.g. `new DescriptiveStatisticsHistogram(500)`). */
  histogram<H extends Histogram>(name: string, histogram: H): H;
  /** A sub-group `name`; with a value, Flink's key/value group (`key` becomes a label). */
  addGroup(name: string, value?: string): MetricGroup;
  /** The user scope below the operator: the names of the groups added on the way here. */
  getScopeComponents(): string[];
  /** The labels of this group's scope (Flink's `getAllVariables()`, without the angle brackets). */
  getAllVariables(): Record<string, string>;
  /** `<scope>.<name>` (Flink's `getMetricIdentifier`). */
  getMetricIdentifier(name: string): string;
}

/** A registered metric, as collected. */
export type UserMetric =
  | { kind: 'counter'; metric: Counter }
  | { kind: 'gauge'; metric: Gauge<unknown> }
  | { kind: 'meter'; metric: Meter }
  | { kind: 'histogram'; metric: Histogram };

/** One collected value of a user metric. */
export interface UserMetricSample {
  /** Names of the user groups below the operator, then the metric's name. */
  path: string[];
  /** Labels of key/value groups. */
  labels: Record<string, string>;
  type: 'counter' | 'gauge';
  value: number;
  /** For histogram quantiles: "0.5", "0.99", ... */
  quantile?: string;
}

/** Quantiles a histogram is exported with (Flink's Prometheus reporter). */
const QUANTILES = [0.5, 0.75, 0.95, 0.98, 0.99, 0.999];

/** The operator's user metric group and its sub-groups. */
export class UserMetricGroup implements MetricGroup {
  private readonly metrics = new Map<string, UserMetric>();
  private readonly groups = new Map<string, UserMetricGroup>();

  constructor(
    private readonly scope: readonly string[] = [],
    private readonly variables: Readonly<Record<string, string>> = {},
  ) {}

  counter(name: string, counter?: Counter): Counter {
    const existing = this.metrics.get(checkName(name));
    if (!counter && existing?.kind === 'counter') return existing.metric;
    const c = counter ?? new SimpleCounter();
    this.metrics.set(name, { kind: 'counter', metric: c });
    return c;
  }

  gauge<T>(name: string, gauge: Gauge<T> | (() => T)): Gauge<T> {
    const g: Gauge<T> = typeof gauge === 'function' ? { getValue: gauge } : gauge;
    if (!g || typeof g.getValue !== 'function') throw new InvalidArgumentError(`gauge "${name}": give a function or an object with getValue()`);
    this.metrics.set(checkName(name), { kind: 'gauge', metric: g });
    return g;
  }

  meter<M extends Meter>(name: string, meter: M): M {
    if (!meter || typeof meter.markEvent !== 'function' || typeof meter.getRate !== 'function') {
      throw new InvalidArgumentError(`meter "${name}": give a Meter (e.g. new MeterView(60))`);
    }
    this.metrics.set(checkName(name), { kind: 'meter', metric: meter });
    return meter;
  }

  histogram<H extends Histogram>(name: string, histogram: H): H {
    if (!histogram || typeof histogram.update !== 'function' || typeof histogram.getStatistics !== 'function') {
      throw new InvalidArgumentError(`histogram "${name}": give a Histogram (e.g. new DescriptiveStatisticsHistogram(500))`);
    }
    this.metrics.set(checkName(name), { kind: 'histogram', metric: histogram });
    return histogram;
  }

  addGroup(name: string, value?: string): MetricGroup {
    const key = value === undefined ? checkName(name) : `${checkName(name)}=${value}`;
    let g = this.groups.get(key);
    if (!g) {
      const variables = value === undefined ? this.variables : { ...this.variables, [name]: String(value) };
      g = new UserMetricGroup([...this.scope, name], variables);
      this.groups.set(key, g);
    }
    return g;
  }

  getScopeComponents(): string[] {
    return [...this.scope];
  }

  getAllVariables(): Record<string, string> {
    return { ...this.variables };
  }

  getMetricIdentifier(name: string): string {
    return [...this.scope, name].join('.');
  }

  /** Current values of this group's metrics and its sub-groups' (histograms as quantiles and a count). */
  collect(out: UserMetricSample[] = []): UserMetricSample[] {
    const labels = { ...this.variables };
    for (const [name, m] of this.metrics) {
      const path = [...this.scope, name];
      switch (m.kind) {
        case 'counter':
          out.push({ path, labels, type: 'counter', value: m.metric.getCount() });
          break;
        case 'gauge': {
          const v = gaugeNumber(m.metric);
          if (v !== undefined) out.push({ path, labels, type: 'gauge', value: v });
          break;
        }
        case 'meter':
          out.push({ path, labels, type: 'gauge', value: m.metric.getRate() });
          break;
        case 'histogram': {
          const stats = m.metric.getStatistics();
          out.push({ path: [...this.scope, `${name}_count`], labels, type: 'counter', value: m.metric.getCount() });
          for (const q of QUANTILES) out.push({ path, labels, type: 'gauge', value: stats.getQuantile(q), quantile: String(q) });
          break;
        }
      }
    }
    for (const g of this.groups.values()) g.collect(out);
    return out;
  }
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('a metric or group name must be a non-empty string');
  return name;
}

/** A gauge's value as a number (booleans as 1/0); other values are not exported. */
function gaugeNumber(g: Gauge<unknown>): number | undefined {
  let v: unknown;
  try {
    v = g.getValue();
  } catch {
    return undefined; // a failing gauge must not break collection of the others
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}
