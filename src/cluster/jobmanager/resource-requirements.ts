/**
 * A job's resource requirements (Flink's FLIP-291 `JobResourceRequirements`): per vertex, the
 * bounds its parallelism may move in. The wire shape is Flink's REST body,
 * `{"<vertexId>": {"parallelism": {"lowerBound": 1, "upperBound": 4}}}`. This module parses and
 * validates such bodies against a job graph and computes the parallelism a set of bounds gives
 * with a number of slots (slot sharing: a job needs as many slots as its highest parallelism).
 * Pure: no I/O.
 */
import type { JobGraph } from '../../common/job-graph.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** The parallelism bounds of one vertex. */
export interface ParallelismBounds {
  lowerBound: number;
  upperBound: number;
}

/** Per vertex id, its bounds. */
export type ResourceRequirements = Map<string, ParallelismBounds>;

/** Flink's JSON shape of the requirements. */
export type ResourceRequirementsJson = Record<string, { parallelism: ParallelismBounds }>;

/** The requirements a job starts with: lower bound 1, upper bound its configured parallelism. */
export function initialRequirements(jobGraph: JobGraph): ResourceRequirements {
  return new Map(jobGraph.vertices.map((v) => [v.id, { lowerBound: 1, upperBound: v.parallelism }]));
}

/** The requirements as Flink's JSON. */
export function requirementsToJson(requirements: ResourceRequirements): ResourceRequirementsJson {
  const out: ResourceRequirementsJson = {};
  for (const [id, b] of requirements) out[id] = { parallelism: { lowerBound: b.lowerBound, upperBound: b.upperBound } };
  return out;
}

function bound(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidArgumentError(`${what} must be an integer, got ${JSON.stringify(value) ?? 'nothing'}`);
  if (value < 1) throw new InvalidArgumentError(`${what} must be at least 1, got ${value}`);
  return value;
}

/**
 * Parses a requirements document (Flink's JSON shape) for `jobGraph`: every key a vertex of the
 * job, integer bounds ≥ 1, lowerBound ≤ upperBound ≤ the vertex's max parallelism. Vertices
 * the document leaves out keep their bounds (a PUT may name one vertex). InvalidArgumentError
 * with one line naming the first problem.
 */
export function parseRequirements(doc: unknown, jobGraph: JobGraph): ResourceRequirements {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidArgumentError('resource requirements must be a JSON object keyed by vertex id');
  const entries = Object.entries(doc as Record<string, unknown>);
  if (entries.length === 0) throw new InvalidArgumentError('resource requirements name no vertex');
  const out: ResourceRequirements = new Map();
  for (const [id, value] of entries) {
    const vertex = jobGraph.vertices.find((v) => v.id === id);
    if (!vertex) throw new InvalidArgumentError(`job has no vertex ${JSON.stringify(id)}`);
    const parallelism = (value as { parallelism?: unknown } | null)?.parallelism;
    if (typeof parallelism !== 'object' || parallelism === null) throw new InvalidArgumentError(`vertex ${id}: expected {"parallelism": {"lowerBound": n, "upperBound": n}}`);
    const p = parallelism as Record<string, unknown>;
    const extra = Object.keys(p).filter((k) => k !== 'lowerBound' && k !== 'upperBound');
    if (extra.length > 0) throw new InvalidArgumentError(`vertex ${id}: unknown field ${JSON.stringify(extra[0])} (expected lowerBound and upperBound)`);
    const lowerBound = bound(p['lowerBound'], `vertex ${id}: lowerBound`);
    const upperBound = bound(p['upperBound'], `vertex ${id}: upperBound`);
    if (lowerBound > upperBound) throw new InvalidArgumentError(`vertex ${id}: lowerBound ${lowerBound} is above upperBound ${upperBound}`);
    if (upperBound > vertex.maxParallelism) throw new InvalidArgumentError(`vertex ${id}: upperBound ${upperBound} is above its max parallelism ${vertex.maxParallelism}`);
    out.set(id, { lowerBound, upperBound });
  }
  return out;
}

/**
 * The requirements of `fluss rescale -p N`: every vertex at exactly N, except vertices whose
 * max parallelism is lower (they stay at their max). N must be an integer from 1 to the job's
 * highest vertex max parallelism.
 */
export function requirementsForParallelism(jobGraph: JobGraph, n: number): ResourceRequirements {
  const max = Math.max(...jobGraph.vertices.map((v) => v.maxParallelism));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`parallelism must be a positive integer, got ${n}`);
  if (n > max) throw new InvalidArgumentError(`parallelism ${n} is above the job's max parallelism ${max}`);
  return new Map(jobGraph.vertices.map((v) => [v.id, { lowerBound: Math.min(n, v.maxParallelism), upperBound: Math.min(n, v.maxParallelism) }]));
}

/**
 * Per vertex, the parallelism `requirements` give with `slots` slots: the upper bound, or the
 * slots when fewer (never above a vertex's max parallelism). Undefined when a lower bound does
 * not fit. Vertices joined by a forward edge must end equal (InvalidArgumentError otherwise).
 */
export function parallelismFor(jobGraph: JobGraph, requirements: ResourceRequirements, slots: number): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const v of jobGraph.vertices) {
    const b = requirements.get(v.id) ?? { lowerBound: 1, upperBound: v.parallelism };
    const p = Math.min(b.upperBound, slots, v.maxParallelism);
    if (p < b.lowerBound) return undefined;
    out.set(v.id, p);
  }
  for (const v of jobGraph.vertices) {
    for (const e of v.outputs) {
      if (e.partitioner !== 'forward' || out.get(e.sourceVertexId) === out.get(e.targetVertexId)) continue;
      throw new InvalidArgumentError(
        `vertices ${e.sourceVertexId} and ${e.targetVertexId} are joined by a forward edge and need the same parallelism (${out.get(e.sourceVertexId)} ≠ ${out.get(e.targetVertexId)})`,
      );
    }
  }
  return out;
}

/**
 * Per vertex, its current parallelism moved into its bounds (and below `slots`); undefined when
 * a lower bound does not fit. Forward-joined vertices ending unequal: InvalidArgumentError.
 */
export function clampToBounds(jobGraph: JobGraph, requirements: ResourceRequirements, slots: number): Map<string, number> | undefined {
  const capped = new Map<string, ParallelismBounds>();
  for (const v of jobGraph.vertices) {
    const b = requirements.get(v.id) ?? { lowerBound: 1, upperBound: v.parallelism };
    const p = Math.min(Math.max(v.parallelism, b.lowerBound), b.upperBound);
    capped.set(v.id, { lowerBound: b.lowerBound, upperBound: p });
  }
  return parallelismFor(jobGraph, capped, slots);
}

/** The highest lower bound: the slots a job needs at least. */
export function minimumSlots(requirements: ResourceRequirements): number {
  let min = 1;
  for (const b of requirements.values()) min = Math.max(min, b.lowerBound);
  return min;
}

/** True when `parallelism` differs from the job graph's current parallelism for some vertex. */
export function differsFromCurrent(jobGraph: JobGraph, parallelism: ReadonlyMap<string, number>): boolean {
  return jobGraph.vertices.some((v) => (parallelism.get(v.id) ?? v.parallelism) !== v.parallelism);
}

/** "Map=4, Sink=2": a parallelism map for logs and messages. */
export function describeParallelism(jobGraph: JobGraph, parallelism: ReadonlyMap<string, number>): string {
  return jobGraph.vertices.map((v) => `${v.name}=${parallelism.get(v.id) ?? v.parallelism}`).join(', ');
}

/**
 * `parallelism` with vertices joined by forward edges raised to the highest of their group
 * (a forward edge needs equal parallelism on both ends).
 */
export function equalizeForwardEdges(jobGraph: JobGraph, parallelism: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(parallelism);
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of jobGraph.vertices) {
      for (const e of v.outputs) {
        if (e.partitioner !== 'forward') continue;
        const a = out.get(e.sourceVertexId) ?? 1;
        const b = out.get(e.targetVertexId) ?? 1;
        if (a === b) continue;
        out.set(e.sourceVertexId, Math.max(a, b));
        out.set(e.targetVertexId, Math.max(a, b));
        changed = true;
      }
    }
  }
  return out;
}
