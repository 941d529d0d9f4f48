/**
 * Builds the TaskDeploymentDescriptor of one subtask: its output partitions (one per outgoing
 * edge, one subpartition per consumer subtask) and its input gates (one per incoming edge, one
 * channel per producer subtask, located on the producer's TaskManager). Pure.
 */
import type { JobGraph, JobVertex } from '../../common/job-graph.js';
import { resultPartitionId, type InputChannelDescriptor } from '../../network/shuffle-types.js';
import type { TaskDeploymentDescriptor } from '../../runtime/task-deployment.js';
import { InvalidArgumentError } from '../../core/errors.js';

/** Where a subtask runs. */
export interface ExecutionLocation {
  taskManagerId: string;
  /** `host:port` of the TaskManager; its rpc server serves data too. */
  address: string;
}

/** Everything needed to describe the deployment of a job's subtasks. */
export interface DeploymentContext {
  jobId: string;
  jobGraph: JobGraph;
  bundleHash: string;
  programArgs: string[];
  /** Current execution attempt of a subtask. */
  attemptOf(vertexId: string, subtaskIndex: number): number;
  /** Where a subtask is (to be) deployed. */
  locationOf(vertexId: string, subtaskIndex: number): ExecutionLocation;
}

/** Vertices by id, built once per job graph (a job deploys every subtask, on every restart). */
const vertexIndex = new WeakMap<JobGraph, Map<string, JobVertex>>();

function verticesById(jobGraph: JobGraph): Map<string, JobVertex> {
  let byId = vertexIndex.get(jobGraph);
  if (!byId) vertexIndex.set(jobGraph, (byId = new Map(jobGraph.vertices.map((v) => [v.id, v] as const))));
  return byId;
}

/** The deployment descriptor of subtask `subtaskIndex` of `vertex`. */
export function buildTaskDeployment(ctx: DeploymentContext, vertex: JobVertex, subtaskIndex: number): TaskDeploymentDescriptor {
  const vertexById = verticesById(ctx.jobGraph);
  const attempt = ctx.attemptOf(vertex.id, subtaskIndex);

  const outputPartitions = vertex.outputs.map((edge) => {
    const consumer = vertexById.get(edge.targetVertexId);
    if (!consumer) throw new InvalidArgumentError(`edge ${edge.id} targets unknown vertex ${edge.targetVertexId}`);
    return {
      partitionId: resultPartitionId(ctx.jobId, edge.id, subtaskIndex, attempt),
      numberOfSubpartitions: consumer.parallelism,
    };
  });

  const inputGates = vertex.inputs.map((edge) => {
    const producer = vertexById.get(edge.sourceVertexId);
    if (!producer) throw new InvalidArgumentError(`edge ${edge.id} starts at unknown vertex ${edge.sourceVertexId}`);
    const channels: InputChannelDescriptor[] = [];
    for (let p = 0; p < producer.parallelism; p++) {
      const location = ctx.locationOf(producer.id, p);
      channels.push({
        partitionId: resultPartitionId(ctx.jobId, edge.id, p, ctx.attemptOf(producer.id, p)),
        subpartition: subtaskIndex,
        producerTaskManagerId: location.taskManagerId,
        producerAddress: location.address,
      });
    }
    return channels;
  });

  return {
    jobId: ctx.jobId,
    jobName: ctx.jobGraph.jobName,
    vertexId: vertex.id,
    subtaskIndex,
    attempt,
    bundleHash: ctx.bundleHash,
    programArgs: ctx.programArgs,
    inputGates,
    outputPartitions,
  };
}

/** The deployment descriptors of every subtask of the job, vertices in topological order. */
export function buildJobDeployments(ctx: DeploymentContext): TaskDeploymentDescriptor[] {
  const out: TaskDeploymentDescriptor[] = [];
  for (const vertex of ctx.jobGraph.vertices) {
    for (let i = 0; i < vertex.parallelism; i++) out.push(buildTaskDeployment(ctx, vertex, i));
  }
  return out;
}
