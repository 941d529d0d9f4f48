/**
 * The autoscaler's arithmetic, as the Flink Kubernetes operator's autoscaler computes it, over
 * metrics averaged across a window. Pure: no I/O, no clock.
 *
 * - A source reporting its backlog (`pendingRecords`, summed over its subtasks) is scaled like
 *   any vertex, for a target rate of its input rate plus the backlog caught up within
 *   `catchUpDurationMs` (the operator's `job.autoscaler.catch-up.duration`): input rate +
 *   backlog / catch-up duration, its true rate per subtask being its output rate per subtask
 *   divided by its busy fraction.
 * - A source without a backlog metric keeps its parallelism; its target rate is what it would
 *   emit unthrottled by back pressure: its output rate divided by the fraction of time it was
 *   not back-pressured.
 * - A vertex's target input rate is the sum, over its inputs, of the producer's target rate
 *   times the producer's output/input ratio (sources: their target rate).
 * - A vertex's true processing rate per subtask is its observed input rate per subtask divided
 *   by its busy fraction; its utilisation is target input rate / (true rate × parallelism).
 * - Outside [target − boundary, target + boundary] the new parallelism is
 *   ceil(target input rate / (true rate per subtask × target utilisation)), a scale-down limited
 *   to `scaleDownMaxFactor` of the current parallelism, then clamped to the vertex's bounds.
 *   Sources without a backlog metric keep their parallelism: their demand is unknown.
 */
import type { JobGraph } from '../../../common/job-graph.js';
import type { ParallelismBounds } from '../resource-requirements.js';

/** Window-averaged metrics of one vertex (sums over its subtasks for rates). */
export interface VertexRates {
  parallelism: number;
  /** Records in per second, all subtasks. */
  inRate: number;
  /** Records out per second, all subtasks. */
  outRate: number;
  /** Mean fraction of time busy (0..1). */
  busy: number;
  /** Mean fraction of time back-pressured (0..1). */
  backPressured: number;
  /** A source's backlog, summed over its subtasks (latest sample); undefined when not every subtask reports it. */
  pendingRecords?: number;
}

/** Tuning of the algorithm. */
export interface ScalingOptions {
  targetUtilization: number;
  utilizationBoundary: number;
  scaleDownMaxFactor: number;
  /** A source's backlog is to be caught up within this (ms). */
  catchUpDurationMs: number;
}

/** The evaluation of one vertex, with every input of the decision. */
export interface VertexEvaluation {
  vertexId: string;
  vertexName: string;
  parallelism: number;
  /** The parallelism the algorithm recommends (= parallelism: keep). */
  recommended: number;
  inputRate: number;
  targetInputRate: number;
  busy: number;
  backPressured: number;
  trueProcessingRatePerSubtask: number;
  utilization: number;
  /** A source's backlog (records), null when it does not report one. */
  pendingRecords: number | null;
  /** The rate added to catch the backlog up within the catch-up duration (records/s). */
  catchUpRate: number;
  /** Why: one line. */
  reason: string;
}

/** Below this busy fraction the true rate is not trusted (idle vertex). */
const MIN_BUSY = 0.01;
/** A back-pressured source is assumed able to emit at most this many times its output rate. */
const MAX_SOURCE_BOOST = 10;

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Evaluates every vertex of `jobGraph` (topological order) from `rates`; vertices without rates are kept. */
export function evaluateVertices(
  jobGraph: JobGraph,
  rates: ReadonlyMap<string, VertexRates>,
  bounds: ReadonlyMap<string, ParallelismBounds>,
  options: ScalingOptions,
): VertexEvaluation[] {
  const targetOut = new Map<string, number>();
  const out: VertexEvaluation[] = [];
  for (const v of jobGraph.vertices) {
    const r = rates.get(v.id);
    const base = { vertexId: v.id, vertexName: v.name, parallelism: v.parallelism, recommended: v.parallelism };
    if (!r) {
      out.push({ ...base, inputRate: 0, targetInputRate: 0, busy: 0, backPressured: 0, trueProcessingRatePerSubtask: 0, utilization: 0, pendingRecords: null, catchUpRate: 0, reason: 'no metrics yet' });
      continue;
    }
    const metrics = { inputRate: round(r.inRate), busy: round(r.busy), backPressured: round(r.backPressured), pendingRecords: r.pendingRecords ?? null, catchUpRate: 0 };
    if (v.inputs.length === 0 && r.pendingRecords !== undefined) {
      const catchUp = r.pendingRecords / Math.max(1, options.catchUpDurationMs / 1000);
      const target = r.outRate + catchUp;
      targetOut.set(v.id, target);
      const evaluation = { ...base, ...metrics, inputRate: round(r.outRate), targetInputRate: round(target), catchUpRate: round(catchUp) };
      if (r.outRate <= 0 || r.busy < MIN_BUSY) {
        out.push({ ...evaluation, trueProcessingRatePerSubtask: 0, utilization: 0, reason: `source: idle, backlog ${r.pendingRecords}: kept` });
        continue;
      }
      const truePerSubtask = r.outRate / r.parallelism / Math.min(1, r.busy);
      out.push(scaled(v, { ...evaluation, trueProcessingRatePerSubtask: round(truePerSubtask) }, target, truePerSubtask, bounds, options, `backlog ${r.pendingRecords} over ${options.catchUpDurationMs / 1000} s adds ${round(catchUp, 1)}/s; `));
      continue;
    }
    if (v.inputs.length === 0) {
      const target = r.outRate / Math.max(1 / MAX_SOURCE_BOOST, 1 - r.backPressured);
      targetOut.set(v.id, target);
      out.push({ ...base, ...metrics, inputRate: round(r.outRate), targetInputRate: round(target), trueProcessingRatePerSubtask: 0, utilization: 0, reason: 'source: kept (no backlog metric)' });
      continue;
    }
    let targetIn = 0;
    for (const e of v.inputs) {
      const producer = rates.get(e.sourceVertexId);
      // The producer's target output rate (a source's: its unthrottled rate).
      targetIn += targetOut.get(e.sourceVertexId) ?? producer?.outRate ?? 0;
    }
    const ratio = r.inRate > 0 ? r.outRate / r.inRate : 1;
    targetOut.set(v.id, targetIn * ratio);
    const busy = Math.max(MIN_BUSY, Math.min(1, r.busy));
    if (r.inRate <= 0 || r.busy < MIN_BUSY) {
      out.push({ ...base, ...metrics, targetInputRate: round(targetIn), trueProcessingRatePerSubtask: 0, utilization: 0, reason: 'idle: kept' });
      continue;
    }
    const truePerSubtask = r.inRate / r.parallelism / busy;
    out.push(scaled(v, { ...base, ...metrics, targetInputRate: round(targetIn), trueProcessingRatePerSubtask: round(truePerSubtask) }, targetIn, truePerSubtask, bounds, options, ''));
  }
  return out;
}

/**
 * The evaluation of a vertex whose target rate and true rate per subtask are known: kept within
 * the utilisation boundary, else the parallelism that meets the target utilisation, limited and
 * bounded. `why` prefixes the reason.
 */
function scaled(
  v: JobGraph['vertices'][number],
  evaluation: Omit<VertexEvaluation, 'utilization' | 'reason'>,
  target: number,
  truePerSubtask: number,
  bounds: ReadonlyMap<string, ParallelismBounds>,
  options: ScalingOptions,
  why: string,
): VertexEvaluation {
  const utilization = target / (truePerSubtask * v.parallelism);
  const evaluated = { ...evaluation, utilization: round(utilization) };
  if (Math.abs(utilization - options.targetUtilization) <= options.utilizationBoundary) {
    return { ...evaluated, reason: `${why}utilisation ${round(utilization, 2)} within ${options.targetUtilization} ± ${options.utilizationBoundary}: kept` };
  }
  let next = Math.ceil(target / (truePerSubtask * options.targetUtilization));
  let reason = `${why}utilisation ${round(utilization, 2)}, target ${options.targetUtilization}: ceil(${round(target, 1)} / (${round(truePerSubtask, 1)} × ${options.targetUtilization})) = ${next}`;
  const floor = Math.max(1, Math.ceil(v.parallelism * (1 - options.scaleDownMaxFactor)));
  if (next < floor) {
    next = floor;
    reason += `, scale-down limited to ${floor}`;
  }
  const b = bounds.get(v.id);
  if (b && (next < b.lowerBound || next > b.upperBound)) {
    next = Math.min(b.upperBound, Math.max(b.lowerBound, next));
    reason += `, bounded to ${next} by [${b.lowerBound}, ${b.upperBound}]`;
  }
  next = Math.min(next, v.maxParallelism);
  return { ...evaluated, recommended: next, reason };
}
