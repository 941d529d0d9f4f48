/** Types of the `parse-prometheus-text-format` package, which ships none. */
declare module 'parse-prometheus-text-format' {
  /** One parsed family: name, help, type (upper case) and its samples. */
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
    metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; quantiles?: Record<string, string> }[];
  }
  /** Parses Prometheus text exposition format. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
