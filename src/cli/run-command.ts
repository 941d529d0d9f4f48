/**
 * `fluss run [-m host:port] [-p N] [-d] [-s savepointPath [-n]] [--local] <job-file> [args…]`: bundles the job file,
 * builds its JobGraph locally, submits bundle and graph, and (attached) follows the job until
 * it is terminal, printing each failure and restart on the way: exit 0 on FINISHED, 1 on
 * FAILED or CANCELED.
 */
import type { JobGraph } from '../common/job-graph.js';
import type { JobInfo } from '../cluster/rpc/messages.js';
import { formatStatusLine } from './job-status-line.js';
import { RestartReporter } from './restart-reporter.js';
import { dirname, resolve } from 'node:path';
import { buildJob } from '../api/build-job.js';
import { checkpointRootForJob } from '../checkpoint/checkpoint-location.js';
import { bundleJobFile, loadJobBundle } from '../cluster/job-bundle.js';
import { requiredSlots } from '../cluster/jobmanager/slot-assignment.js';
import { MiniCluster } from '../cluster/mini-cluster.js';
import { JobManagerClient } from '../cluster/rpc/job-manager-client.js';
import { PLAINTEXT } from '../core/rpc/credentials.js';
import { InvalidArgumentError } from '../core/errors.js';
import { resolveJobManagerAddress } from './client-address.js';
import { etcdHaEnabled } from '../cluster/ha/etcd-connection.js';
import { leaderAddressOf } from '../cluster/ha/client-leader.js';
import { connectToLeader } from '../cluster/ha/leader-job-manager-client.js';
import { clientSecurity, loadClientConfig, type ClientConfigOptions } from './client-config.js';
import { EXIT_FAILURE } from './cli-errors.js';
import type { CliIO } from './cli-io.js';

/** Options of `fluss run`. */
export interface RunOptions extends ClientConfigOptions {
  jobmanager?: string;
  parallelism?: string;
  detached?: boolean;
  local?: boolean;
  /** `-s <path>`: savepoint or checkpoint to start from. */
  fromSavepoint?: string;
  /** `-n`: skip state of operators the job no longer has. */
  allowNonRestoredState?: boolean;
  /** Start from empty state when every retained checkpoint is damaged, instead of failing. */
  restoreFromEmptyOnDamage?: boolean;
}

/** Parses `-p`: a positive integer. */
export function parseParallelism(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 32768) {
    throw new InvalidArgumentError(`-p expects a parallelism between 1 and 32768, got "${value}"`);
  }
  return Number(value);
}

/**
 * Waits for the job to end. Every failure and restart is printed on stderr with its cause
 * (identical causes collapsed, see restart-reporter.ts), on a terminal and when piped; on a
 * terminal a status line is redrawn every second meanwhile.
 */
async function followJob(client: JobManagerClient, jobId: string, graph: JobGraph, io: CliIO): Promise<JobInfo> {
  const status = io.status;
  const restarts = new RestartReporter(jobId, (line) => {
    // The transient status line goes first, so the line is not written into it.
    status?.(undefined);
    io.err(line);
  });
  let polling = false;
  const timer = setInterval(() => {
    restarts.tick(Date.now());
    if (!status || polling) return;
    polling = true;
    client
      .getJob(jobId)
      .then((info) => status(formatStatusLine(info, graph, Date.now())))
      // The status line is a courtesy: a failed poll must not disturb the run.
      .catch(() => undefined)
      .finally(() => (polling = false));
  }, 1000);
  try {
    return await client.watchJob(jobId, (info) => restarts.onUpdate(info, Date.now()));
  } finally {
    clearInterval(timer);
    status?.(undefined);
    restarts.flush(Date.now());
  }
}

/** Runs `fluss run`; resolves with the exit code. */
export async function runJob(jobFile: string, args: string[], options: RunOptions, io: CliIO): Promise<number> {
  const parallelism = parseParallelism(options.parallelism);
  if (options.local && options.detached) {
    throw new InvalidArgumentError('--local runs the job on a cluster that lives as long as this command: it cannot be combined with -d');
  }
  if (options.local && options.jobmanager !== undefined) {
    throw new InvalidArgumentError('--local starts its own cluster: it cannot be combined with -m');
  }
  // Resolve the address first so that a bad -m fails before any bundling.
  const config = loadClientConfig(options, io.env);
  // With leader election the leader on etcd is the address, whatever -m names.
  const address = options.local ? undefined : etcdHaEnabled(config) ? await leaderAddressOf(config) : resolveJobManagerAddress(options.jobmanager, io.env, config);
  // The TLS files are read before bundling, so a wrong path fails first.
  const security = options.local ? PLAINTEXT : clientSecurity(config);

  if (options.allowNonRestoredState && options.fromSavepoint === undefined) throw new InvalidArgumentError('-n only applies together with -s <savepointPath>');
  // A local cluster reads the path here; a remote JobManager resolves relative paths against its savepoint directory.
  const restorePath = options.fromSavepoint === undefined ? undefined : options.local ? resolve(options.fromSavepoint) : options.fromSavepoint;
  const bundle = await bundleJobFile(jobFile);
  const builder = loadJobBundle(bundle.code, resolve(jobFile));
  const built = await buildJob(builder, args, {
    defaultParallelism: parallelism ?? config['parallelism.default'],
    timeoutMs: config['client.job-builder.timeout'],
  });

  let cluster: MiniCluster | undefined;
  let client: JobManagerClient | undefined;
  try {
    let target = address;
    if (options.local) {
      // A restore path must lie inside the cluster's savepoint roots: its own directory is one.
      const restoreRoot = restorePath ? { 'state.savepoints.dir': dirname(restorePath) } : {};
      // Likewise the job's own checkpoint directory (new RocksDBStateBackend(dir)).
      const checkpointRoot = checkpointRootForJob(built.jobGraph.settings.checkpointStorage);
      cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: Math.max(1, requiredSlots(built.jobGraph.vertices)), config: { ...restoreRoot, ...checkpointRoot } });
      await cluster.start();
      target = cluster.jobManagerAddress;
    }
    // A --local mini-cluster is plaintext on loopback, whatever the client's configuration says.
    client = !options.local && etcdHaEnabled(config) ? await connectToLeader(config, { security }) : new JobManagerClient(target!, { security });
    const jobId = await client.submitJob({
      bundle: bundle.code,
      jobGraph: built.jobGraph,
      programArgs: args,
      restorePath,
      allowNonRestoredState: options.allowNonRestoredState === true,
      restoreFromEmptyOnDamage: options.restoreFromEmptyOnDamage === true,
    });
    io.out(`Job has been submitted with JobID ${jobId}`);
    if (options.detached) return 0;

    // With --local, the job's print sinks write to this terminal: no status line then.
    const info = await followJob(client, jobId, built.jobGraph, options.local ? { ...io, status: undefined } : io);
    switch (info.status) {
      case 'FINISHED':
        io.out('Job has been finished.');
        io.out(`Job Runtime: ${Math.max(0, info.endTime - info.startTime)} ms`);
        return 0;
      case 'FAILED':
        io.err(`Job ${jobId} failed: ${info.failureCause || 'unknown cause'}`);
        return EXIT_FAILURE;
      default:
        io.err(`Job ${jobId} was ${info.status === 'CANCELED' ? 'canceled' : `ended as ${info.status}`}.`);
        return EXIT_FAILURE;
    }
  } finally {
    client?.close();
    await cluster?.stop();
  }
}
