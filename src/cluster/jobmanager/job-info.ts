/**
 * A job's JobInfo (status and details for clients), from what its JobMaster shows publicly.
 */
import type { JobInfo } from '../rpc/messages.js';
import type { JobMaster } from './job-master.js';

/** Status and details of `job` for clients. */
export function jobInfoOf(job: JobMaster): JobInfo {
  const status = job.status;
  return {
    jobId: job.jobId,
    name: job.jobGraph.jobName,
    status,
    startTime: job.startTime,
    endTime: job.endTimestamp,
    // While RESTARTING: the failure being recovered from, so attached clients can show it.
    failureCause: status === 'FAILED' || status === 'FAILING' || status === 'RESTARTING' ? job.currentFailureCause : '',
    vertices: job.executionGraph.vertexInfos(),
  };
}
