/**
 * Renders metric families in the Prometheus text exposition format (version 0.0.4): per family
 * a `# HELP` and a `# TYPE` line, then one line per sample with escaped label values.
 */
import { mergeFamilies, type MetricFamily } from './metric-family.js';

/** Content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const INVALID_NAME_CHARS = /[^a-zA-Z0-9_:]/g;
const INVALID_LABEL_CHARS = /[^a-zA-Z0-9_]/g;

/** A valid metric name: invalid characters become `_`, a leading digit gets a `_` prefix. */
export function sanitizeMetricName(name: string): string {
  const s = name.replace(INVALID_NAME_CHARS, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function sanitizeLabelName(name: string): string {
  const s = name.replace(INVALID_LABEL_CHARS, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN` for the special values). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** The exposition text of `families` (same-named families are merged). */
export function formatPrometheus(families: Iterable<MetricFamily>): string {
  const lines: string[] = [];
  for (const family of mergeFamilies(families)) {
    const name = sanitizeMetricName(family.name);
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .map(([k, v]) => `${sanitizeLabelName(k)}="${escapeLabelValue(v)}"`)
        .join(',');
      lines.push(`${name}${labels ? `{${labels}}` : ''} ${formatSampleValue(sample.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
