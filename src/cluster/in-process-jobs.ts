/**
 * The in-process job registry: lets `executeLocally` hand a build function to a TaskManager
 * running in the same process without bundling anything. A pseudo bundle hash
 * `inproc:<uuid>` stands for the build function; the TaskManager calls it once per subtask.
 */
import { randomUUID } from 'node:crypto';
import type { BuiltJob } from '../graph/built-job.js';

/** Builds a job afresh (new function instances on every call). */
export type InProcessJobBuild = () => BuiltJob | Promise<BuiltJob>;

const PREFIX = 'inproc:';
const registry = new Map<string, InProcessJobBuild>();

/** Registers `build`; returns its pseudo bundle hash `inproc:<uuid>`. */
export function registerInProcessJob(build: InProcessJobBuild): string {
  const hash = `${PREFIX}${randomUUID()}`;
  registry.set(hash, build);
  return hash;
}

/** True when `bundleHash` names an in-process job rather than a real bundle. */
export function isInProcessBundleHash(bundleHash: string): boolean {
  return bundleHash.startsWith(PREFIX);
}

/** The build function registered under `bundleHash`, or undefined. */
export function lookupInProcessJob(bundleHash: string): InProcessJobBuild | undefined {
  return registry.get(bundleHash);
}

/** Forgets an in-process job. */
export function unregisterInProcessJob(bundleHash: string): void {
  registry.delete(bundleHash);
}
