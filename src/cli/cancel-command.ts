/**
 * `fluss cancel [-m host:port] <jobId>`: cancels a job; prints `Cancelled job <jobId>.`.
 */
import { JobManagerClient } from '../cluster/rpc/job-manager-client.js';
import { InvalidArgumentError } from '../core/errors.js';
import { isId } from '../core/ids.js';
import { resolveJobManagerAddress } from './client-address.js';
import { clientSecurity, loadClientConfig, type ClientConfigOptions } from './client-config.js';
import type { CliIO } from './cli-io.js';

/** Options of `fluss cancel`. */
export interface CancelOptions extends ClientConfigOptions {
  jobmanager?: string;
}

/** Runs `fluss cancel`; resolves with the exit code. */
export async function cancelJob(jobId: string, options: CancelOptions, io: CliIO): Promise<number> {
  if (!isId(jobId)) throw new InvalidArgumentError(`"${jobId}" is not a job id (expected 32 hex digits)`);
  const config = loadClientConfig(options, io.env);
  const address = resolveJobManagerAddress(options.jobmanager, io.env, config);
  const client = new JobManagerClient(address, { security: clientSecurity(config) });
  try {
    io.out(`Cancelling job ${jobId}.`);
    await client.cancelJob(jobId);
    io.out(`Cancelled job ${jobId}.`);
    return 0;
  } finally {
    client.close();
  }
}
