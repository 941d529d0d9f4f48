/**
 * The ExecutionGraph: the JobGraph expanded into one ExecutionVertex per subtask, each with its
 * current execution attempt, state and location. Plain bookkeeping, no I/O.
 */
import type { JobGraph, JobVertex } from '../../common/job-graph.js';
import { isTerminalExecutionState, type ExecutionState } from '../../runtime/task-deployment.js';
import type { VertexInfo } from '../rpc/messages.js';
import type { AllocatedSlot } from './slot-assignment.js';

/** One subtask of one vertex and its current execution attempt. */
export class ExecutionVertex {
  /** 0 first, +1 per restart. */
  attempt = 0;
  state: ExecutionState = 'CREATED';
  /** The slot it is deployed to, once scheduled. */
  location: AllocatedSlot | undefined;
  /** One line, when FAILED. */
  failureCause = '';

  constructor(
    readonly jobVertex: JobVertex,
    readonly subtaskIndex: number,
  ) {}

  get vertexId(): string {
    return this.jobVertex.id;
  }

  /** "Map (2/4)", Flink's task name. */
  get taskName(): string {
    return `${this.jobVertex.name} (${this.subtaskIndex + 1}/${this.jobVertex.parallelism})`;
  }

  get isTerminal(): boolean {
    return isTerminalExecutionState(this.state);
  }

  /** True once a TaskManager may run it (SubmitTask was sent). */
  get isDeployed(): boolean {
    return this.state === 'DEPLOYING' || this.state === 'INITIALIZING' || this.state === 'RUNNING' || this.state === 'CANCELING';
  }
}

// Order in which a vertex's aggregate state is reported when its subtasks disagree.
const AGGREGATE_PRIORITY: readonly ExecutionState[] = [
  'FAILED',
  'CANCELING',
  'CANCELED',
  'RUNNING',
  'INITIALIZING',
  'DEPLOYING',
  'SCHEDULED',
  'CREATED',
  'FINISHED',
];

/**
 * The state shown for a vertex: the common state when all subtasks agree, else the most
 * significant one (a failure beats cancellation beats progress; FINISHED only when all are).
 */
export function aggregateExecutionState(states: readonly ExecutionState[]): ExecutionState {
  if (states.length === 0) return 'CREATED';
  for (const candidate of AGGREGATE_PRIORITY) if (states.includes(candidate)) return candidate;
  return states[0]!;
}

/** All execution vertices of one job. */
export class ExecutionGraph {
  private readonly byVertex = new Map<string, ExecutionVertex[]>();
  /** Every execution vertex, vertices in topological order, subtasks ascending. */
  readonly executions: ExecutionVertex[] = [];
  /**
   * Asked at every restart for a new parallelism per vertex (a rescale); undefined or an
   * unchanged map keeps it (see rescale-restart.ts).
   */
  parallelismOnRestart: (() => ReadonlyMap<string, number> | undefined) | undefined;

  constructor(readonly jobGraph: JobGraph) {
    for (const v of jobGraph.vertices) {
      const subtasks: ExecutionVertex[] = [];
      for (let i = 0; i < v.parallelism; i++) subtasks.push(new ExecutionVertex(v, i));
      this.byVertex.set(v.id, subtasks);
      this.executions.push(...subtasks);
    }
  }

  /** The execution vertex of `vertexId`'s subtask, or undefined. */
  get(vertexId: string, subtaskIndex: number): ExecutionVertex | undefined {
    return this.byVertex.get(vertexId)?.[subtaskIndex];
  }

  /** The subtasks of one vertex. */
  subtasksOf(vertexId: string): ExecutionVertex[] {
    return this.byVertex.get(vertexId) ?? [];
  }

  allTerminal(): boolean {
    return this.executions.every((e) => e.isTerminal);
  }

  allFinished(): boolean {
    return this.executions.every((e) => e.state === 'FINISHED');
  }

  /** Starts a new attempt of every subtask (global failover), at a new parallelism when one is due. */
  resetForRestart(): void {
    const next = this.parallelismOnRestart?.();
    if (next) this.setParallelism(next);
    for (const e of this.executions) {
      e.attempt++;
      e.state = 'CREATED';
      e.location = undefined;
      e.failureCause = '';
    }
  }

  /**
   * Changes vertices' parallelism between attempts (every execution terminal): the job graph's
   * vertices change with it (deployments carry them), subtasks are added or dropped, added ones
   * start at the current attempt so the next restart moves every subtask to the same attempt.
   */
  setParallelism(parallelism: ReadonlyMap<string, number>): void {
    let attempt = 0;
    for (const e of this.executions) attempt = Math.max(attempt, e.attempt);
    this.executions.length = 0;
    for (const v of this.jobGraph.vertices) {
      const p = parallelism.get(v.id) ?? v.parallelism;
      const subtasks = (this.byVertex.get(v.id) ?? []).slice(0, p);
      for (let i = subtasks.length; i < p; i++) {
        const e = new ExecutionVertex(v, i);
        e.attempt = attempt;
        e.state = 'CANCELED';
        subtasks.push(e);
      }
      v.parallelism = p;
      this.byVertex.set(v.id, subtasks);
      this.executions.push(...subtasks);
    }
  }

  /** Per-vertex status for JobInfo. */
  vertexInfos(): VertexInfo[] {
    return this.jobGraph.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      status: aggregateExecutionState(this.subtasksOf(v.id).map((e) => e.state)),
    }));
  }
}
