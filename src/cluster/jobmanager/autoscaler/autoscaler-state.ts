/**
 * What the autoscaler keeps per job: the metric samples of the current window, pending
 * scale-downs, its decisions with their inputs, and the job's parallelism over time (every
 * change, whatever caused it) — bounded, and shown by `GET /jobs/:jid/autoscaler`.
 */
import type { JobMaster } from '../job-master.js';
import type { VertexEvaluation, VertexRates } from './scaling-algorithm.js';
import type { AutoscalerOptions } from './job-autoscaler.js';

/** One decision: the vertices it rescales, with every input. */
export interface AutoscalerDecision {
  timestamp: number;
  vertices: VertexEvaluation[];
  /** 'pending', 'rescaled', 'unchanged (…)' or 'failed: …'. */
  outcome: string;
}

/** The job's parallelism per vertex from `timestamp` on. */
export interface ParallelismPoint {
  timestamp: number;
  parallelism: Record<string, number>;
}

/** `GET /jobs/:jid/autoscaler`. */
export interface AutoscalerView {
  enabled: boolean;
  options: Omit<AutoscalerOptions, 'enabled'>;
  vertices: { id: string; name: string; parallelism: number }[];
  lastEvaluation: { timestamp: number; vertices: VertexEvaluation[] } | null;
  /** Vertex id → since when a scale-down is recommended (ms since epoch). */
  pendingScaleDowns: Record<string, number>;
  decisions: AutoscalerDecision[];
  parallelismHistory: ParallelismPoint[];
}

const MAX_DECISIONS = 200;
const MAX_POINTS = 500;

/** The autoscaler's state of one job. */
export class AutoscalerJobState {
  samples: { at: number; rates: Map<string, VertexRates> }[] = [];
  readonly scaleDownSince = new Map<string, number>();
  readonly decisions: AutoscalerDecision[] = [];
  readonly history: ParallelismPoint[] = [];
  lastEvaluation: { timestamp: number; vertices: VertexEvaluation[] } | null = null;

  /** Adds a sample and drops those taken before `keepFrom`. */
  addSample(sample: { at: number; rates: Map<string, VertexRates> }, keepFrom: number): void {
    this.samples = this.samples.filter((s) => s.at >= keepFrom);
    if (sample.at >= keepFrom) this.samples.push(sample);
  }

  /** Per vertex, its rates averaged over the samples that have it. */
  averageRates(): Map<string, VertexRates> {
    const sums = new Map<string, { n: number; r: VertexRates }>();
    for (const s of this.samples) {
      for (const [id, r] of s.rates) {
        const acc = sums.get(id);
        if (!acc) sums.set(id, { n: 1, r: { ...r } });
        else {
          acc.n++;
          acc.r.inRate += r.inRate;
          acc.r.outRate += r.outRate;
          acc.r.busy += r.busy;
          acc.r.backPressured += r.backPressured;
          acc.r.parallelism = r.parallelism;
        }
      }
    }
    const out = new Map<string, VertexRates>();
    for (const [id, { n, r }] of sums) out.set(id, { parallelism: r.parallelism, inRate: r.inRate / n, outRate: r.outRate / n, busy: r.busy / n, backPressured: r.backPressured / n });
    // The backlog is the latest one: catching up is about what is left now, not on average.
    const latest = this.samples.at(-1);
    for (const [id, r] of latest?.rates ?? []) {
      const averaged = out.get(id);
      if (averaged && r.pendingRecords !== undefined) averaged.pendingRecords = r.pendingRecords;
    }
    return out;
  }

  /** Records a decision (outcome 'pending' until its rescale settles). */
  addDecision(timestamp: number, vertices: VertexEvaluation[]): AutoscalerDecision {
    const decision: AutoscalerDecision = { timestamp, vertices, outcome: 'pending' };
    this.decisions.push(decision);
    if (this.decisions.length > MAX_DECISIONS) this.decisions.splice(0, this.decisions.length - MAX_DECISIONS);
    return decision;
  }

  /** Adds a point to the parallelism history when the job's parallelism changed. */
  recordParallelism(job: JobMaster, now: number): void {
    const parallelism = Object.fromEntries(job.jobGraph.vertices.map((v) => [v.id, v.parallelism] as const));
    const last = this.history.at(-1);
    if (last && Object.keys(parallelism).every((id) => last.parallelism[id] === parallelism[id])) return;
    this.history.push({ timestamp: now, parallelism });
    if (this.history.length > MAX_POINTS) this.history.splice(0, this.history.length - MAX_POINTS);
  }

  /** The REST view. */
  view(options: AutoscalerOptions, job: JobMaster): AutoscalerView {
    const { enabled, ...rest } = options;
    this.recordParallelism(job, Date.now());
    return {
      enabled,
      options: rest,
      vertices: job.jobGraph.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism })),
      lastEvaluation: this.lastEvaluation,
      pendingScaleDowns: Object.fromEntries(this.scaleDownSince),
      decisions: this.decisions,
      parallelismHistory: this.history,
    };
  }
}
