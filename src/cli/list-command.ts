/**
 * `fluss list [-a] [-r] [-s] [--json] [-m host:port]`: the jobs of a JobManager in Flink's format
 * (or as JSON).
 */
import { withJobManagerClient, type ClientConfigOptions } from './client-config.js';
import type { CliIO } from './cli-io.js';
import { jobJson } from './job-json.js';
import { formatJobList } from './job-list-format.js';

/** Options of `fluss list`. */
export interface ListOptions extends ClientConfigOptions {
  jobmanager?: string;
  all?: boolean;
  running?: boolean;
  scheduled?: boolean;
  /** Print the jobs as one JSON array instead of Flink's text. */
  json?: boolean;
}

/** Runs `fluss list`; resolves with the exit code. */
export async function listJobs(options: ListOptions, io: CliIO): Promise<number> {
  return withJobManagerClient(options, io.env, async (client) => {
    const all = options.all === true;
    if (options.json) {
      const now = Date.now();
      io.out(JSON.stringify((await client.listJobs(all)).map((j) => jobJson(j, now)), null, 2));
      return 0;
    }
    io.out('Waiting for response...');
    const jobs = await client.listJobs(all);
    // Flink: without -r/-s both running and scheduled jobs are shown; -a shows everything.
    const neither = !options.running && !options.scheduled;
    const lines = formatJobList(jobs, {
      running: all || neither || options.running === true,
      scheduled: all || neither || options.scheduled === true,
      terminated: all,
    });
    for (const line of lines) io.out(line);
    return 0;
  });
}
