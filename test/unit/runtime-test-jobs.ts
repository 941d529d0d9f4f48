/** Builds small JobGraphs by hand for the runtime tests. */
import type { BuiltJob, NodeFunctions } from '../../src/common/built-job.js';
import type { JobGraph, JobVertex, OperatorDescriptor, OperatorKind } from '../../src/common/job-graph.js';

let nextNode = 1;

/** An operator descriptor plus its live functions. */
export interface TestOperator {
  descriptor: OperatorDescriptor;
  functions: NodeFunctions;
}

/** One operator; `chainedOutputs`/`networkOutputs` are filled in by the caller. */
export function op(kind: OperatorKind, name: string, userFunction: unknown, extra: Partial<OperatorDescriptor> & { key?: (v: never) => unknown } = {}): TestOperator {
  const nodeId = nextNode++;
  const { key, ...rest } = extra;
  return {
    descriptor: {
      operatorId: nodeId.toString(16).padStart(32, '0'),
      nodeId,
      name,
      kind,
      settings: {},
      numberOfInputs: kind === 'source' ? 0 : 1,
      keyed: key !== undefined,
      chainedOutputs: [],
      networkOutputs: [],
      ...rest,
    },
    functions: { userFunction, keySelectors: key ? [key as (v: unknown) => unknown] : [] },
  };
}

/** Chains operators linearly on their main outputs. */
export function linear(ops: TestOperator[]): TestOperator[] {
  ops.forEach((o, i) => {
    if (i + 1 < ops.length) o.descriptor.chainedOutputs.push({ targetOperatorIndex: i + 1, targetInput: 0 });
  });
  return ops;
}

/** A vertex of the given operators. */
export function vertex(id: string, ops: TestOperator[], parallelism = 1, maxParallelism = 128): JobVertex {
  return { id, name: ops.map((o) => o.descriptor.name).join(' -> '), parallelism, maxParallelism, operators: ops.map((o) => o.descriptor), inputs: [], outputs: [] };
}

/** A BuiltJob over vertices whose operators are in `ops`. */
export function builtJob(vertices: JobVertex[], ops: TestOperator[], edgeFunctions: Record<string, { keySelector?: (v: never) => unknown }> = {}): BuiltJob {
  const jobGraph: JobGraph = {
    jobName: 'test',
    vertices,
    fingerprint: 'f',
    settings: {
      parallelism: 1,
      maxParallelism: 128,
      bufferTimeoutMs: 1,
      checkpoint: { intervalMs: 0, mode: 'EXACTLY_ONCE', timeoutMs: 1, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, retention: 'DELETE_ON_CANCELLATION' },
      autoWatermarkIntervalMs: 200,
    },
  };
  const byNode = new Map(ops.map((o) => [o.descriptor.nodeId, o.functions]));
  return {
    jobGraph,
    functions: {
      node: (id) => {
        const f = byNode.get(id);
        if (!f) throw new Error(`unknown node ${id}`);
        return f;
      },
      edge: (id) => (edgeFunctions[id] ?? {}) as never,
    },
  };
}
