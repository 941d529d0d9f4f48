/**
 * The live status line of an attached `fluss run` on a terminal: state, tasks running, records
 * per second read by the sources, and the latest checkpoint. Redrawn in place once a second;
 * never printed when stdout is not a terminal, so piped output stays clean.
 */
import type { JobGraph } from '../common/job-graph.js';
import type { JobInfo } from '../cluster/rpc/messages.js';

/** Formats `n` compactly: 950, 12.3 K, 4.56 M. */
export function compactNumber(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} K`;
  return `${(n / 1_000_000).toFixed(2)} M`;
}

/** One status line for `info`; `sources` are the ids of vertices without inputs. */
export function formatStatusLine(info: JobInfo, graph: JobGraph, now: number): string {
  const sources = new Set(graph.vertices.filter((v) => v.inputs.length === 0).map((v) => v.id));
  let rate = 0;
  let total = 0;
  let running = 0;
  let tasks = 0;
  for (const v of info.vertices) {
    if (sources.has(v.id)) rate += v.recordsOutPerSecond ?? 0;
    tasks += v.parallelism;
    if (v.status === 'RUNNING') running += v.parallelism;
  }
  for (const v of info.vertices) if (sources.has(v.id)) total += v.recordsOut ?? 0;
  const parts = [
    info.status,
    `${running}/${tasks} tasks`,
    `${compactNumber(rate)} records/s`,
    `${compactNumber(total)} records`,
  ];
  if (info.lastCheckpointId) {
    const age = Math.max(0, Math.round((now - (info.lastCheckpointTime ?? now)) / 1000));
    parts.push(`checkpoint #${info.lastCheckpointId} ${age} s ago`);
  } else if (graph.settings.checkpoint.intervalMs > 0) {
    parts.push('no checkpoint yet');
  }
  return parts.join(' · ');
}
