/**
 * The pure cores of elastic scaling: resource requirements (Flink's FLIP-291 shape) parsed and
 * validated against a job graph, the parallelism bounds give with a number of slots, the
 * autoscaler's per-vertex arithmetic, the execution graph changing parallelism between
 * attempts, and a TaskManager taking the deployed parallelism over the rebuilt graph's.
 */
import { describe, expect, it } from 'vitest';
import type { BuiltJob } from '../../src/common/built-job.js';
import type { JobEdge, JobGraph, JobVertex, PartitionerKind } from '../../src/common/job-graph.js';
import { evaluateVertices, type VertexRates } from '../../src/cluster/jobmanager/autoscaler/scaling-algorithm.js';
import { ExecutionGraph } from '../../src/cluster/jobmanager/execution-graph.js';
import {
  clampToBounds,
  equalizeForwardEdges,
  parallelismFor,
  parseRequirements,
  requirementsForParallelism,
  requirementsToJson,
} from '../../src/cluster/jobmanager/resource-requirements.js';
import { withSubmittedParallelism } from '../../src/cluster/taskmanager/submitted-parallelism.js';

function graph(partitioner: PartitionerKind = 'hash', p = [2, 2], max = [128, 128]): JobGraph {
  const edge: JobEdge = { id: 'e', streamEdgeId: 's', sourceVertexId: 'a', targetVertexId: 'b', partitioner, sourceOperatorIndex: 0, targetOperatorIndex: 0, targetInput: 0 };
  const vertex = (id: string, i: number): JobVertex => ({
    id,
    name: id.toUpperCase(),
    parallelism: p[i]!,
    maxParallelism: max[i]!,
    operators: [],
    inputs: id === 'b' ? [edge] : [],
    outputs: id === 'a' ? [edge] : [],
  });
  return { jobName: 'j', vertices: [vertex('a', 0), vertex('b', 1)], settings: {} as JobGraph['settings'], fingerprint: 'f' } as JobGraph;
}

describe('resource requirements', () => {
  it('parses Flink\'s shape and refuses bad bodies with one line', () => {
    const g = graph();
    expect(requirementsToJson(parseRequirements({ b: { parallelism: { lowerBound: 1, upperBound: 4 } } }, g))).toEqual({ b: { parallelism: { lowerBound: 1, upperBound: 4 } } });
    const bad = (doc: unknown): string => {
      try {
        parseRequirements(doc, g);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(bad({ x: { parallelism: { lowerBound: 1, upperBound: 2 } } })).toBe('job has no vertex "x"');
    expect(bad({ a: { parallelism: { lowerBound: 3, upperBound: 2 } } })).toBe('vertex a: lowerBound 3 is above upperBound 2');
    expect(bad({ a: { parallelism: { lowerBound: 0, upperBound: 2 } } })).toBe('vertex a: lowerBound must be at least 1, got 0');
    expect(bad({ a: { parallelism: { lowerBound: 1, upperBound: 2.5 } } })).toBe('vertex a: upperBound must be an integer, got 2.5');
    expect(bad({ a: { parallelism: { lowerBound: 1, upperBound: 200 } } })).toBe('vertex a: upperBound 200 is above its max parallelism 128');
    expect(bad({ a: { parallelism: { lowerBound: 1, upperBound: 2, x: 1 } } })).toContain('unknown field "x"');
    expect(bad([])).toContain('JSON object');
    expect(bad({})).toContain('no vertex');
    expect(() => requirementsForParallelism(g, 0)).toThrow('positive integer');
    expect(() => requirementsForParallelism(g, 129)).toThrow('above the job');
  });

  it('gives the highest parallelism the slots allow within the bounds, refusing lower bounds that do not fit', () => {
    const g = graph();
    const req = new Map([
      ['a', { lowerBound: 1, upperBound: 2 }],
      ['b', { lowerBound: 2, upperBound: 6 }],
    ]);
    expect(parallelismFor(g, req, 4)).toEqual(new Map([['a', 2], ['b', 4]]));
    expect(parallelismFor(g, req, 1)).toBeUndefined();
    // Keeps the current parallelism (2) where the bounds allow it, instead of the upper bound.
    expect(clampToBounds(g, req, 4)).toEqual(new Map([['a', 2], ['b', 2]]));
    expect(() => parallelismFor(graph('forward'), req, 4)).toThrow('forward edge');
    expect(equalizeForwardEdges(graph('forward'), new Map([['a', 1], ['b', 3]]))).toEqual(new Map([['a', 3], ['b', 3]]));
  });
});

describe('autoscaler arithmetic', () => {
  const options = { targetUtilization: 0.7, utilizationBoundary: 0.1, scaleDownMaxFactor: 0.5, catchUpDurationMs: 100_000 };
  const rates = (source: Partial<VertexRates>, keyed: Partial<VertexRates>): Map<string, VertexRates> =>
    new Map([
      ['a', { parallelism: 1, inRate: 0, outRate: 1000, busy: 0.1, backPressured: 0, ...source }],
      ['b', { parallelism: 2, inRate: 1000, outRate: 0, busy: 0.5, backPressured: 0, ...keyed }],
    ]);

  it('scales up to ceil(target rate / (true rate per subtask × utilisation)), counting a back-pressured source\'s demand', () => {
    // Keyed: 1000/s over 2 subtasks, busy 1.0 → 500/s per subtask; the source is back-pressured
    // half the time → it would emit 2000/s → ceil(2000 / (500 × 0.7)) = 6.
    const [, b] = evaluateVertices(graph('hash', [1, 2]), rates({ backPressured: 0.5 }, { busy: 1 }), new Map(), options);
    expect(b).toMatchObject({ recommended: 6, targetInputRate: 2000, trueProcessingRatePerSubtask: 500, utilization: 2 });
    const bounded = evaluateVertices(graph('hash', [1, 2]), rates({ backPressured: 0.5 }, { busy: 1 }), new Map([['b', { lowerBound: 1, upperBound: 3 }]]), options)[1]!;
    expect(bounded.recommended).toBe(3);
    expect(bounded.reason).toContain('bounded to 3');
  });

  it('keeps a vertex near its target utilisation and limits a scale-down', () => {
    const [a, kept] = evaluateVertices(graph('hash', [1, 2]), rates({}, { busy: 0.7 }), new Map(), options);
    expect(a!.recommended).toBe(1);
    expect(kept!.recommended).toBe(2);
    const down = evaluateVertices(graph('hash', [1, 8]), rates({}, { parallelism: 8, busy: 0.05 }), new Map(), options)[1]!;
    // ceil(1000 / (2500 × 0.7)) = 1, limited to 8 × (1 − 0.5) = 4.
    expect(down.recommended).toBe(4);
    expect(down.reason).toContain('scale-down limited to 4');
  });

  it('scales a source with a backlog for its input rate plus the backlog caught up within the catch-up duration, and its consumers with it', () => {
    // Source: 1000/s at busy 0.5 → 2000/s per subtask; backlog 100 000 over 100 s adds 1000/s →
    // target 2000/s → ceil(2000 / (2000 × 0.7)) = 2. Keyed: 500/s per subtask at busy 1 →
    // ceil(2000 / (500 × 0.7)) = 6.
    const [a, b] = evaluateVertices(graph('hash', [1, 2]), rates({ busy: 0.5, pendingRecords: 100_000 }, { busy: 1 }), new Map(), options);
    expect(a).toMatchObject({ recommended: 2, pendingRecords: 100_000, catchUpRate: 1000, inputRate: 1000, targetInputRate: 2000, trueProcessingRatePerSubtask: 2000 });
    expect(a!.reason).toContain('backlog 100000 over 100 s adds 1000/s');
    expect(b).toMatchObject({ recommended: 6, targetInputRate: 2000 });
    // Without a backlog the source is kept and reports none.
    const [kept] = evaluateVertices(graph('hash', [1, 2]), rates({ busy: 0.5 }, { busy: 1 }), new Map(), options);
    expect(kept).toMatchObject({ recommended: 1, pendingRecords: null, catchUpRate: 0 });
    // An empty backlog: only the input rate counts: 1000/s over 2 subtasks at busy 0.25 → 2000/s
    // per subtask, utilisation 0.25 → ceil(1000 / (2000 × 0.7)) = 1.
    const [caughtUp] = evaluateVertices(graph('hash', [2, 2]), rates({ parallelism: 2, busy: 0.25, pendingRecords: 0 }, { busy: 0.7 }), new Map(), options);
    expect(caughtUp).toMatchObject({ recommended: 1, catchUpRate: 0, pendingRecords: 0 });
  });
});

describe('parallelism between attempts', () => {
  it('adds and drops subtasks, the job graph following', () => {
    const g = graph('hash', [2, 2]);
    const eg = new ExecutionGraph(g);
    for (const e of eg.executions) e.state = 'CANCELED';
    eg.parallelismOnRestart = () => new Map([['a', 1], ['b', 3]]);
    eg.resetForRestart();
    expect(eg.executions.map((e) => `${e.vertexId}${e.subtaskIndex}@${e.attempt}:${e.state}`)).toEqual(['a0@1:CREATED', 'b0@1:CREATED', 'b1@1:CREATED', 'b2@1:CREATED']);
    expect(g.vertices.map((v) => v.parallelism)).toEqual([1, 3]);
    expect(eg.vertexInfos().map((v) => v.parallelism)).toEqual([1, 3]);
  });

  it('a rebuilt job runs at the deployed parallelism, the built graph untouched', () => {
    const built = { jobGraph: graph('hash', [2, 2]) } as BuiltJob;
    const rescaled = withSubmittedParallelism(built, graph('hash', [2, 5]));
    expect(rescaled.jobGraph.vertices.map((v) => v.parallelism)).toEqual([2, 5]);
    expect(built.jobGraph.vertices.map((v) => v.parallelism)).toEqual([2, 2]);
    expect(withSubmittedParallelism(built, graph('hash', [2, 2]))).toBe(built);
  });
});
