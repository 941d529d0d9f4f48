/**
 * The JSON shape `fluss list --json` and `fluss status --json` print: Flink's REST names
 * (`jid`, `state`, `start-time`, …), so scripts written against either read both.
 */
import type { JobInfo } from '../cluster/rpc/messages.js';

/** One job as printed by `--json`. */
export interface JobJson {
  jid: string;
  name: string;
  state: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  'failure-cause'?: string;
  vertices: { id: string; name: string; parallelism: number; status: string }[];
}

/** Converts a JobInfo; `now` gives the duration of a running job. */
export function jobJson(info: JobInfo, now = Date.now()): JobJson {
  const end = info.endTime > 0 ? info.endTime : -1;
  return {
    jid: info.jobId,
    name: info.name,
    state: info.status,
    'start-time': info.startTime,
    'end-time': end,
    duration: Math.max(0, (end > 0 ? end : now) - info.startTime),
    ...(info.failureCause ? { 'failure-cause': info.failureCause } : {}),
    vertices: info.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism, status: v.status })),
  };
}
