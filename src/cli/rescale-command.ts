/**
 * `fluss rescale [-m host:port] -p N <jobId>`: rescales a running job in place to parallelism N
 * (every vertex; vertices with a lower max parallelism stay at it) through a checkpoint taken
 * for the rescale; prints `Rescaled job <jobId> to parallelism N.` once every task runs again.
 * A refusal (unknown or finished job, N above max parallelism, too few slots) is one line and
 * a non-zero exit; the job is left as it was.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isId } from '../core/ids.js';
import { withJobManagerClient, type ClientConfigOptions } from './client-config.js';
import type { CliIO } from './cli-io.js';

/** Options of `fluss rescale`. */
export interface RescaleOptions extends ClientConfigOptions {
  jobmanager?: string;
  /** `-p N`: the new parallelism. */
  parallelism?: string;
}

/** Parses `-p` of `fluss rescale`: required, a positive integer. */
export function parseRescaleParallelism(value: string | undefined): number {
  if (value === undefined) throw new InvalidArgumentError("missing required option '-p, --parallelism <N>'");
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new InvalidArgumentError(`-p expects a positive integer, got "${value}"`);
  const n = Number(trimmed);
  if (n < 1) throw new InvalidArgumentError(`-p expects a parallelism of at least 1, got ${n}`);
  if (n > 32768) throw new InvalidArgumentError(`-p expects a parallelism of at most 32768, got ${n}`);
  return n;
}

/** Runs `fluss rescale`; resolves with the exit code. */
export async function rescaleJob(jobId: string | undefined, options: RescaleOptions, io: CliIO): Promise<number> {
  if (jobId === undefined) throw new InvalidArgumentError("missing required argument 'jobId'");
  if (!isId(jobId)) throw new InvalidArgumentError(`"${jobId}" is not a job id (expected 32 hex digits)`);
  const n = parseRescaleParallelism(options.parallelism);
  return withJobManagerClient(options, io.env, async (client) => {
    const outcome = await client.updateResourceRequirements({ jobId, parallelism: n });
    io.out(outcome.rescaled ? `Rescaled job ${jobId} to parallelism ${n}.` : `Job ${jobId} already runs at parallelism ${n}.`);
    return 0;
  });
}
