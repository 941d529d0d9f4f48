/**
 * Savepoint commands, with Flink's output:
 *
 * - `fluss savepoint <jobId> [targetDirectory]` → `Savepoint completed. Path: <path>`
 * - `fluss savepoint -d <savepointPath>` → `Savepoint '<path>' disposed.`
 * - `fluss stop [-p dir] [--drain] <jobId>` (stop-with-savepoint) → `Savepoint completed. Path: <path>`
 * - `fluss cancel -s [dir] <jobId>` (savepoint, then cancel) → `Cancelled job <jobId>. Savepoint stored in <path>.`
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isId } from '../core/ids.js';
import { withJobManagerClient, type ClientConfigOptions } from './client-config.js';
import type { CliIO } from './cli-io.js';

/** Options of `fluss savepoint`. */
export interface SavepointOptions extends ClientConfigOptions {
  jobmanager?: string;
  /** `-d <path>`: dispose instead of trigger. */
  dispose?: string;
}

/** Options of `fluss stop`. */
export interface StopOptions extends ClientConfigOptions {
  jobmanager?: string;
  /** `-p [dir]`: the savepoint target (true: the default directory). */
  savepointPath?: string | boolean;
  /** `-d/--drain`: emit the maximal watermark before the savepoint. */
  drain?: boolean;
}

function checkJobId(jobId: string | undefined): string {
  if (jobId === undefined) throw new InvalidArgumentError("missing required argument 'jobId'");
  if (!isId(jobId)) throw new InvalidArgumentError(`"${jobId}" is not a job id (expected 32 hex digits)`);
  return jobId;
}

/** Runs `fluss savepoint`; resolves with the exit code. */
export async function savepointCommand(jobId: string | undefined, targetDirectory: string | undefined, options: SavepointOptions, io: CliIO): Promise<number> {
  if (options.dispose !== undefined) {
    if (jobId !== undefined) throw new InvalidArgumentError('savepoint -d takes a savepoint path and no job id');
    const path = options.dispose;
    return withJobManagerClient(options, io.env, async (client) => {
      io.out(`Disposing savepoint '${path}'.`);
      io.out('Waiting for response...');
      await client.disposeSavepoint(path);
      io.out(`Savepoint '${path}' disposed.`);
      return 0;
    });
  }
  const id = checkJobId(jobId);
  return withJobManagerClient(options, io.env, async (client) => {
    io.out(`Triggering savepoint for job ${id}.`);
    io.out('Waiting for response...');
    const path = await client.triggerSavepoint({ jobId: id, targetDirectory });
    io.out(`Savepoint completed. Path: ${path}`);
    io.out('You can resume your program from this savepoint with the run command.');
    return 0;
  });
}

/** Runs `fluss stop`; resolves with the exit code. */
export async function stopCommand(jobId: string | undefined, options: StopOptions, io: CliIO): Promise<number> {
  let targetDirectory = typeof options.savepointPath === 'string' ? options.savepointPath : undefined;
  // `stop -p <jobId>`: the optional directory of -p took the job id.
  if (jobId === undefined && targetDirectory !== undefined && isId(targetDirectory)) [jobId, targetDirectory] = [targetDirectory, undefined];
  const id = checkJobId(jobId);
  return withJobManagerClient(options, io.env, async (client) => {
    io.out(`Suspending job "${id}" with a savepoint.`);
    const path = await client.triggerSavepoint({ jobId: id, targetDirectory, stop: true, drain: options.drain === true });
    io.out(`Savepoint completed. Path: ${path}`);
    return 0;
  });
}

/** `fluss cancel -s [dir] <jobId>`: savepoint, then cancel; resolves with the exit code. */
export async function cancelWithSavepoint(jobId: string, targetDirectory: string | undefined, options: ClientConfigOptions & { jobmanager?: string }, io: CliIO): Promise<number> {
  const id = checkJobId(jobId);
  return withJobManagerClient(options, io.env, async (client) => {
    io.out(`Cancelling job ${id} with savepoint to ${targetDirectory ?? 'default savepoint directory'}.`);
    const path = await client.triggerSavepoint({ jobId: id, targetDirectory, cancel: true });
    io.out(`Savepoint completed. Path: ${path}`);
    io.out(`Cancelled job ${id}. Savepoint stored in ${path}.`);
    return 0;
  });
}
