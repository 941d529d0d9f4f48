/**
 * Whether the channel state of an unaligned checkpoint can be restored into a job. Fluss keeps
 * in-flight records per channel and replays them into the same channel, so it restores them
 * only where the channels are the same: the operator that holds them is still the head of its
 * vertex and that vertex (and so every vertex around it) runs at the checkpoint's parallelism.
 * Anything else is refused before a task starts (never half-restored); the job can be
 * restored from a savepoint (always aligned) or an aligned checkpoint instead.
 */
import type { JobGraph } from '../common/job-graph.js';
import { FailedPreconditionError } from '../core/errors.js';
import type { CheckpointMetadata, OperatorCheckpointState } from './checkpoint-types.js';

/** Refuses, in one line, `op`'s channel state when the job's channels differ from the checkpoint's. */
export function checkChannelStateRestorable(op: OperatorCheckpointState, metadata: CheckpointMetadata, jobGraph: JobGraph, where: string): void {
  if (!op.subtasks.some((s) => s.channelState !== undefined)) return;
  const vertex = jobGraph.vertices.find((v) => v.operators.some((o) => o.operatorId === op.operatorId));
  const problem = !vertex
    ? 'the operator is not available in the new program'
    : vertex.operators[0]!.operatorId !== op.operatorId
      ? 'the operator is no longer the first of its chain'
      : vertex.parallelism !== op.parallelism
        ? `its parallelism changed from ${op.parallelism} to ${vertex.parallelism}`
        : rescaledNeighbour(metadata, jobGraph, vertex.id);
  if (problem === undefined) return;
  throw new FailedPreconditionError(
    `Failed to rollback to checkpoint/savepoint ${where}: it is an unaligned checkpoint with in-flight data of operator ${op.operatorId} (${op.name}), ` +
      `which can only be restored with the same channels, but ${problem}. Restore from a savepoint or an aligned checkpoint to rescale.`,
  );
}

/** A vertex feeding or fed by `vertexId` whose parallelism differs from the checkpoint's (its channels changed). */
function rescaledNeighbour(metadata: CheckpointMetadata, jobGraph: JobGraph, vertexId: string): string | undefined {
  const vertices = new Map(jobGraph.vertices.map((v) => [v.id, v]));
  const byOperator = new Map(metadata.operators.map((o) => [o.operatorId, o]));
  const self = vertices.get(vertexId)!;
  const edges = [...self.inputs.map((e) => e.sourceVertexId), ...self.outputs.map((e) => e.targetVertexId)];
  for (const id of edges) {
    const v = vertices.get(id);
    const then = v ? byOperator.get(v.operators[0]!.operatorId) : undefined;
    if (v && then && then.parallelism !== v.parallelism) return `the parallelism of ${v.name}, connected to it, changed from ${then.parallelism} to ${v.parallelism}`;
  }
  return undefined;
}
