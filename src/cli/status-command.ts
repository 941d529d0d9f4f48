/**
 * `fluss status <jobId> [--json] [-m host:port]`: one job's state, times and vertices.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isId } from '../core/ids.js';
import { withJobManagerClient, type ClientConfigOptions } from './client-config.js';
import type { CliIO } from './cli-io.js';
import { jobJson } from './job-json.js';
import { formatFlinkDate } from './job-list-format.js';

/** Options of `fluss status`. */
export interface StatusOptions extends ClientConfigOptions {
  jobmanager?: string;
  json?: boolean;
}

/** Runs `fluss status`; resolves with the exit code. */
export async function showJobStatus(jobId: string, options: StatusOptions, io: CliIO): Promise<number> {
  if (!isId(jobId)) throw new InvalidArgumentError(`"${jobId}" is not a job id (32 hex digits)`);
  return withJobManagerClient(options, io.env, async (client) => {
    const job = jobJson(await client.getJob(jobId));
    if (options.json) {
      io.out(JSON.stringify(job, null, 2));
      return 0;
    }
    io.out(`Job ${job.jid} : ${job.name} (${job.state})`);
    io.out(`  started  ${formatFlinkDate(job['start-time'])}, ${job['end-time'] > 0 ? 'ran' : 'running for'} ${formatDuration(job.duration)}`);
    if (job['failure-cause']) io.out(`  cause    ${job['failure-cause']}`);
    const width = Math.max(...job.vertices.map((v) => v.name.length), 4);
    io.out(`  ${'VERTEX'.padEnd(width)}  PARALLELISM  STATUS`);
    for (const v of job.vertices) io.out(`  ${v.name.padEnd(width)}  ${String(v.parallelism).padStart(11)}  ${v.status}`);
    return 0;
  });
}

/** `1h 02m 03s`, `2m 05s`, `350 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m ${String(sec).padStart(2, '0')}s`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}
