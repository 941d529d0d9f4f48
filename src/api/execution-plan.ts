/**
 * `env.getExecutionPlan()`: the job's dataflow as Flink's execution-plan JSON (`{"nodes": [...]}`),
 * one entry per operator before chaining, with its parallelism and, per input, how records are
 * partitioned (`FORWARD`, `HASH`, `REBALANCE`, ...).
 */
import { operatorDisplayName } from '../graph/job-graph-generator.js';
import type { StreamGraph, StreamNode } from '../graph/stream-graph.js';

/** The plan of `graph`, whose operators without a parallelism of their own get `defaultParallelism`. */
export function executionPlanJson(graph: StreamGraph, defaultParallelism: number): string {
  const parallelismOf = (n: StreamNode): number => n.parallelism ?? defaultParallelism;
  const nodes = graph.nodes.map((n) => {
    const name = operatorDisplayName(n);
    const pact = n.kind === 'source' ? 'Data Source' : n.kind === 'sink' ? 'Data Sink' : 'Operator';
    const entry: Record<string, unknown> = { id: n.id, type: name, pact, contents: name, parallelism: parallelismOf(n) };
    if (n.inEdges.length > 0) {
      entry.predecessors = n.inEdges.map((e) => {
        // Unset partitioners resolve as the JobGraph generator resolves them.
        const kind = e.partitioner ?? (parallelismOf(graph.node(e.sourceId)) === parallelismOf(n) ? 'forward' : 'rebalance');
        return { id: e.sourceId, ship_strategy: kind.toUpperCase(), side: 'second' };
      });
    }
    return entry;
  });
  return JSON.stringify({ nodes }, null, 2);
}
