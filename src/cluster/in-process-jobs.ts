/**
 * The in-process job registry: lets `executeLocally` hand a build function to a TaskManager
 * running in the same process without bundling anything. A pseudo bundle hash
 * `inproc:<uuid>` stands for the build function; the TaskManager calls it once per subtask.
 * The entry is also found by the job's id, so it does not matter how the JobManager names
 * the (empty) bundle of such a job.
 */
import { randomUUID } from 'node:crypto';
import type { BuiltJob } from '../common/built-job.js';

/** Builds a job afresh (new function instances on every call). */
export type InProcessJobBuild = () => BuiltJob | Promise<BuiltJob>;

const PREFIX = 'inproc:';
const byHash = new Map<string, InProcessJobBuild>();
const byJobId = new Map<string, string>();

/** Registers `build` for job `jobId`; returns its pseudo bundle hash `inproc:<uuid>`. */
export function registerInProcessJob(build: InProcessJobBuild, jobId: string): string {
  const hash = `${PREFIX}${randomUUID()}`;
  byHash.set(hash, build);
  byJobId.set(jobId, hash);
  return hash;
}

/** True when `bundleHash` names an in-process job rather than a real bundle. */
export function isInProcessBundleHash(bundleHash: string): boolean {
  return bundleHash.startsWith(PREFIX);
}

/** The build function of an in-process job, by its pseudo bundle hash or its job id. */
export function lookupInProcessJob(bundleHash: string, jobId: string): InProcessJobBuild | undefined {
  const hash = isInProcessBundleHash(bundleHash) ? bundleHash : byJobId.get(jobId);
  return hash === undefined ? undefined : byHash.get(hash);
}

/** Forgets an in-process job. */
export function unregisterInProcessJob(bundleHash: string): void {
  byHash.delete(bundleHash);
  for (const [jobId, hash] of byJobId) if (hash === bundleHash) byJobId.delete(jobId);
}
