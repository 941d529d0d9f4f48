/**
 * The live user functions of a StreamGraph, looked up by node and edge id: the
 * {@link UserFunctions} half of a BuiltJob.
 */
import { JobBuildError } from '../core/errors.js';
import type { EdgeFunctions, NodeFunctions, UserFunctions } from '../common/built-job.js';
import type { StreamGraph } from './stream-graph.js';

/** {@link UserFunctions} backed by the nodes and edges of a recorded StreamGraph. */
export class StreamGraphFunctions implements UserFunctions {
  private readonly nodes = new Map<number, NodeFunctions>();
  private readonly edges = new Map<string, EdgeFunctions>();

  constructor(graph: StreamGraph) {
    for (const n of graph.nodes) {
      const fns: NodeFunctions = { userFunction: n.userFunction, keySelectors: [...n.keySelectors] };
      if (n.watermarkStrategy !== undefined) fns.watermarkStrategy = n.watermarkStrategy;
      this.nodes.set(n.id, fns);
      for (const e of n.inEdges) {
        const fns: EdgeFunctions = {};
        if (e.keySelector) fns.keySelector = e.keySelector;
        if (e.customPartitioner) fns.partitioner = e.customPartitioner;
        this.edges.set(e.id, fns);
      }
    }
  }

  node(nodeId: number): NodeFunctions {
    const fns = this.nodes.get(nodeId);
    if (!fns) throw new JobBuildError(`the job has no operator node ${nodeId}: is the job builder deterministic?`);
    return fns;
  }

  edge(streamEdgeId: string): EdgeFunctions {
    const fns = this.edges.get(streamEdgeId);
    if (!fns) throw new JobBuildError(`the job has no edge ${streamEdgeId}: is the job builder deterministic?`);
    return fns;
  }
}
