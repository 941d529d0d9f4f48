/**
 * `fluss cancel [-m host:port] [-s [dir]] <jobId>`: cancels a job; prints `Cancelled job <jobId>.`.
 * With `-s` a savepoint is taken first (savepoint-command.ts).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isId } from '../core/ids.js';
import { withJobManagerClient, type ClientConfigOptions } from './client-config.js';
import type { CliIO } from './cli-io.js';

/** Options of `fluss cancel`. */
export interface CancelOptions extends ClientConfigOptions {
  jobmanager?: string;
  /** `-s [dir]`: take a savepoint first (true: into the default directory). */
  withSavepoint?: string | boolean;
}

/** Runs `fluss cancel`; resolves with the exit code. */
export async function cancelJob(jobIdArg: string | undefined, options: CancelOptions, io: CliIO): Promise<number> {
  let jobId = jobIdArg;
  let target = typeof options.withSavepoint === 'string' ? options.withSavepoint : undefined;
  // `cancel -s <jobId>`: the optional directory of -s took the job id.
  if (jobId === undefined && target !== undefined && isId(target)) [jobId, target] = [target, undefined];
  if (jobId === undefined) throw new InvalidArgumentError("missing required argument 'jobId'");
  if (options.withSavepoint !== undefined && options.withSavepoint !== false) {
    const { cancelWithSavepoint } = await import('./savepoint-command.js');
    return cancelWithSavepoint(jobId, target, options, io);
  }
  if (!isId(jobId)) throw new InvalidArgumentError(`"${jobId}" is not a job id (expected 32 hex digits)`);
  return withJobManagerClient(options, io.env, async (client) => {
    io.out(`Cancelling job ${jobId}.`);
    await client.cancelJob(jobId);
    io.out(`Cancelled job ${jobId}.`);
    return 0;
  });
}
