/**
 * The fingerprint of a JobGraph: a hash of a canonical JSON of its vertices and settings.
 * A TaskManager rebuilding a job compares it with the submitted one to detect builders that
 * are not deterministic.
 */
import { hashId } from '../core/ids.js';
import type { JobSettings, JobVertex } from '../common/job-graph.js';

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value);
    return json === undefined ? 'null' : json;
  }
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v)).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const members = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
    .sort()
    .map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k]));
  return '{' + members.join(',') + '}';
}

/** The fingerprint of a job graph's structure and settings (the job name is left out). */
export function computeFingerprint(vertices: readonly JobVertex[], settings: JobSettings): string {
  return hashId(canonicalJson({ vertices, settings }));
}
