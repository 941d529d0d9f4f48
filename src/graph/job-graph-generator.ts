/**
 * StreamGraph → JobGraph (Flink's StreamingJobGraphGenerator): resolves parallelism, max
 * parallelism and default partitioners, assigns operator ids, chains operators and lays out
 * the vertices with their edges. Pure: no I/O, no user code is called.
 */
import { JobBuildError } from '../core/errors.js';
import { computeChains, type ChainingContext } from './chaining.js';
import { computeFingerprint } from './fingerprint.js';
import type { JobEdge, JobGraph, JobSettings, JobVertex, OperatorDescriptor, PartitionerKind } from '../common/job-graph.js';
import { defaultMaxParallelism, UPPER_BOUND_MAX_PARALLELISM } from '../state/key-groups.js';
import { assignOperatorIds } from './operator-ids.js';
import type { StreamEdge, StreamGraph, StreamNode } from './stream-graph.js';

/** Job settings as recorded by the environment: the max parallelism may still be unset. */
export type JobSettingsDraft = Omit<JobSettings, 'maxParallelism'> & { maxParallelism: number | undefined };

/** The name shown for an operator: sources and sinks carry Flink's prefixes. */
export function operatorDisplayName(node: StreamNode): string {
  if (node.kind === 'source') return `Source: ${node.name}`;
  if (node.kind === 'sink') return `Sink: ${node.name}`;
  return node.name;
}

function checkParallelism(what: string, p: number, max: number): void {
  if (!Number.isInteger(p) || p < 1) throw new JobBuildError(`${what}: parallelism must be a positive integer, got ${p}`);
  if (!Number.isInteger(max) || max < 1 || max > UPPER_BOUND_MAX_PARALLELISM) {
    throw new JobBuildError(`${what}: max parallelism must be an integer in [1, ${UPPER_BOUND_MAX_PARALLELISM}], got ${max}`);
  }
  if (p > max) throw new JobBuildError(`${what}: parallelism ${p} is above its max parallelism ${max}`);
}

/** Translates `graph` into a JobGraph named `jobName`. Throws JobBuildError on invalid graphs. */
export function generateJobGraph(graph: StreamGraph, jobName: string, draft: JobSettingsDraft): JobGraph {
  const nodes = graph.nodes;
  if (nodes.length === 0) throw new JobBuildError('the job defines no operators');
  checkParallelism('the job', draft.parallelism, draft.maxParallelism ?? UPPER_BOUND_MAX_PARALLELISM);

  const parallelism = new Map<number, number>();
  for (const n of nodes) parallelism.set(n.id, n.parallelism ?? draft.parallelism);
  const jobMaxParallelism = draft.maxParallelism ?? defaultMaxParallelism(Math.max(...parallelism.values()));
  const maxParallelism = new Map<number, number>();
  for (const n of nodes) {
    const max = n.maxParallelism ?? jobMaxParallelism;
    checkParallelism(`operator '${operatorDisplayName(n)}'`, parallelism.get(n.id)!, max);
    maxParallelism.set(n.id, max);
  }

  const partitioners = new Map<string, PartitionerKind>();
  for (const n of nodes) {
    for (const e of n.inEdges) {
      const pSource = parallelism.get(e.sourceId)!;
      const pTarget = parallelism.get(e.targetId)!;
      const kind = e.partitioner ?? (pSource === pTarget ? 'forward' : 'rebalance');
      if (kind === 'forward' && pSource !== pTarget) {
        throw new JobBuildError(
          `forward partitioning from '${operatorDisplayName(graph.node(e.sourceId))}' (parallelism ${pSource}) to ` +
            `'${operatorDisplayName(n)}' (parallelism ${pTarget}) needs equal parallelism: use rebalance() or equal parallelism`,
        );
      }
      partitioners.set(e.id, kind);
    }
  }

  const ctx: ChainingContext = {
    node: (id) => graph.node(id),
    parallelismOf: (id) => parallelism.get(id)!,
    partitionerOf: (e: StreamEdge) => partitioners.get(e.id)!,
  };
  const operatorIds = assignOperatorIds(nodes);
  const chains = computeChains(nodes, ctx);

  // Where each node lives: its vertex (by head operator id) and its index in the chain.
  const placement = new Map<number, { vertexId: string; index: number; chain: number }>();
  chains.forEach((chain, c) => {
    const vertexId = operatorIds.get(chain.headId)!;
    chain.nodeIds.forEach((nodeId, index) => placement.set(nodeId, { vertexId, index, chain: c }));
  });

  const jobEdges = new Map<string, JobEdge>();
  for (const n of nodes) {
    for (const e of n.inEdges) {
      const from = placement.get(e.sourceId)!;
      const to = placement.get(e.targetId)!;
      if (from.chain === to.chain) continue;
      const edge: JobEdge = {
        id: e.id,
        streamEdgeId: e.id,
        sourceVertexId: from.vertexId,
        targetVertexId: to.vertexId,
        partitioner: partitioners.get(e.id)!,
        sourceOperatorIndex: from.index,
        targetOperatorIndex: to.index,
        targetInput: e.targetInput,
      };
      if (e.sideOutputTag !== undefined) edge.sideOutputTag = e.sideOutputTag;
      jobEdges.set(e.id, edge);
    }
  }

  const vertices: JobVertex[] = chains.map((chain) => {
    const outputs: JobEdge[] = [];
    const inputs: JobEdge[] = [];
    const operators = chain.nodeIds.map((nodeId): OperatorDescriptor => {
      const node = graph.node(nodeId);
      for (const e of node.inEdges) {
        const je = jobEdges.get(e.id);
        if (je) inputs.push(je);
      }
      const op: OperatorDescriptor = {
        operatorId: operatorIds.get(nodeId)!,
        nodeId,
        name: operatorDisplayName(node),
        kind: node.kind,
        settings: node.settings,
        numberOfInputs: node.numberOfInputs,
        keyed: node.keyed,
        chainedOutputs: [],
        networkOutputs: [],
      };
      if (node.uid !== undefined) op.uid = node.uid;
      for (const e of node.outEdges) {
        const je = jobEdges.get(e.id);
        if (je) {
          op.networkOutputs.push(outputs.length);
          outputs.push(je);
        } else {
          const out: OperatorDescriptor['chainedOutputs'][number] = {
            targetOperatorIndex: placement.get(e.targetId)!.index,
            targetInput: e.targetInput,
          };
          if (e.sideOutputTag !== undefined) out.sideOutputTag = e.sideOutputTag;
          op.chainedOutputs.push(out);
        }
      }
      return op;
    });
    return {
      id: operatorIds.get(chain.headId)!,
      name: operators.map((o) => o.name).join(' -> '),
      parallelism: parallelism.get(chain.headId)!,
      maxParallelism: maxParallelism.get(chain.headId)!,
      operators,
      inputs,
      outputs,
    };
  });

  const settings: JobSettings = { ...draft, maxParallelism: jobMaxParallelism };
  return { jobName, vertices, settings, fingerprint: computeFingerprint(vertices, settings) };
}
