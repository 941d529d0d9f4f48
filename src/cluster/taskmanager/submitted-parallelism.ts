/**
 * A job rebuilt on a TaskManager runs at the parallelism the JobManager deployed, not the one
 * its builder chose: after a rescale (rescale on request, adaptive scheduler, reactive mode)
 * the submitted JobGraph's vertices carry the new parallelism, while its fingerprint stays the
 * one of the graph as built, so the builder's determinism is still checked.
 */
import type { BuiltJob } from '../../common/built-job.js';
import type { JobGraph } from '../../common/job-graph.js';

/** `built` with every vertex's parallelism taken from `submitted` (a copy when any differs; `built` is never changed). */
export function withSubmittedParallelism(built: BuiltJob, submitted: JobGraph): BuiltJob {
  const deployed = new Map(submitted.vertices.map((v) => [v.id, v.parallelism] as const));
  if (built.jobGraph.vertices.every((v) => (deployed.get(v.id) ?? v.parallelism) === v.parallelism)) return built;
  const vertices = built.jobGraph.vertices.map((v) => ({ ...v, parallelism: deployed.get(v.id) ?? v.parallelism }));
  return { ...built, jobGraph: { ...built.jobGraph, vertices } };
}
