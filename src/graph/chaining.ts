/**
 * Operator chaining, exactly by Flink's rules (`StreamingJobGraphGenerator.isChainable`):
 * an edge is chained when the downstream node has a single input, both sides run at the same
 * parallelism, the edge is a forward edge, the downstream node chains ALWAYS, the upstream
 * node chains ALWAYS or HEAD, and neither side disabled chaining.
 */
import type { PartitionerKind } from '../common/job-graph.js';
import type { StreamEdge, StreamNode } from './stream-graph.js';

/** What chaining needs to know beyond the nodes themselves. */
export interface ChainingContext {
  node(id: number): StreamNode;
  /** Resolved parallelism of a node. */
  parallelismOf(nodeId: number): number;
  /** Resolved partitioner of an edge. */
  partitionerOf(edge: StreamEdge): PartitionerKind;
}

/** True when `edge` may connect two operators inside one chain. */
export function isChainable(edge: StreamEdge, ctx: ChainingContext): boolean {
  const upstream = ctx.node(edge.sourceId);
  const downstream = ctx.node(edge.targetId);
  return (
    downstream.inEdges.length === 1 &&
    // A two-input operator heads its own chain, even if both inputs come from one upstream.
    downstream.numberOfInputs === 1 &&
    ctx.partitionerOf(edge) === 'forward' &&
    ctx.parallelismOf(upstream.id) === ctx.parallelismOf(downstream.id) &&
    downstream.chainingStrategy === 'ALWAYS' &&
    (upstream.chainingStrategy === 'ALWAYS' || upstream.chainingStrategy === 'HEAD')
  );
}

/** One chain: its head and its members in topological order. */
export interface Chain {
  headId: number;
  nodeIds: number[];
}

/**
 * Groups `nodes` (in topological order) into chains. A node joins the chain of its single
 * input when the edge is chainable, else it heads a new chain. Chains come out ordered by
 * their head, which is a topological order of the resulting vertices.
 */
export function computeChains(nodes: readonly StreamNode[], ctx: ChainingContext): Chain[] {
  const chainOf = new Map<number, Chain>();
  const chains: Chain[] = [];
  for (const node of nodes) {
    const edge = node.inEdges.length === 1 ? node.inEdges[0] : undefined;
    const upstreamChain = edge && isChainable(edge, ctx) ? chainOf.get(edge.sourceId) : undefined;
    if (upstreamChain) {
      upstreamChain.nodeIds.push(node.id);
      chainOf.set(node.id, upstreamChain);
    } else {
      const chain: Chain = { headId: node.id, nodeIds: [node.id] };
      chains.push(chain);
      chainOf.set(node.id, chain);
    }
  }
  return chains;
}
