/**
 * Runs a job on a fresh in-process mini-cluster (`executeAndCollect()`): no real bundle, the
 * TaskManager calls the build function once per subtask through the in-process registry.
 */
import { checkpointRootForJob } from '../checkpoint/checkpoint-location.js';
import { FlussError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BuiltJob } from '../common/built-job.js';
import { registerInProcessJob, unregisterInProcessJob } from './in-process-jobs.js';
import { requiredSlots } from './jobmanager/slot-assignment.js';
import { MiniCluster } from './mini-cluster.js';
import { JobManagerClient } from './rpc/job-manager-client.js';

/** Options of {@link executeLocally}. */
export interface ExecuteLocallyOptions {
  jobName?: string;
}

/**
 * Builds the job, runs it on a mini-cluster with enough slots, waits until it is terminal and
 * stops the cluster. Throws the job's failure (one line) unless it FINISHED.
 */
export async function executeLocally(build: () => BuiltJob | Promise<BuiltJob>, options: ExecuteLocallyOptions = {}): Promise<void> {
  const first = await build();
  const jobGraph = options.jobName ? { ...first.jobGraph, jobName: options.jobName } : first.jobGraph;
  const jobId = newId();
  const bundleHash = registerInProcessJob(build, jobId);
  const cluster = new MiniCluster({
    numTaskManagers: 1,
    slotsPerTaskManager: Math.max(1, requiredSlots(jobGraph.vertices)),
    config: checkpointRootForJob(jobGraph.settings.checkpointStorage),
  });
  let client: JobManagerClient | undefined;
  try {
    await cluster.start();
    client = new JobManagerClient(cluster.jobManagerAddress);
    // No code travels: the bundle is a placeholder naming the in-process job, which the
    // TaskManager finds in the registry by job id without fetching anything.
    await client.submitJob({ bundle: Buffer.from(bundleHash), jobGraph, programArgs: [], jobId });
    const info = await client.watchJob(jobId);
    if (info.status === 'FINISHED') return;
    if (info.status === 'FAILED') {
      throw new FlussError('USER_CODE', info.failureCause || `Job ${jobGraph.jobName} (${jobId}) failed`);
    }
    throw new FlussError('FAILED_PRECONDITION', `Job ${jobGraph.jobName} (${jobId}) ended as ${info.status}`);
  } finally {
    client?.close();
    unregisterInProcessJob(bundleHash);
    await cluster.stop();
  }
}

