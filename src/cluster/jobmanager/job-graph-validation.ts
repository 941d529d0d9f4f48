/**
 * Validates a submitted JobGraph JSON so that garbage is refused with INVALID_ARGUMENT before
 * anything is scheduled: structure (unique ids, edges that connect existing vertices forward,
 * parallelism bounds, a restart strategy the JobMaster understands), then every field of the
 * shapes of src/common/job-graph.ts against a zod schema, naming the first bad field
 * (`vertices[1].operators[0].kind …`). The JobManager checks submissions with it, and every
 * TaskManager checks the graph of each deployment again.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import { parseJobConfiguration } from '../../core/job-configuration.js';
import type { JobEdge, JobGraph, RestartStrategySettings } from '../../common/job-graph.js';

const PARTITIONERS = new Set(['forward', 'rebalance', 'rescale', 'shuffle', 'global', 'broadcast', 'hash', 'custom']);
const RESTART_TYPES = new Set(['none', 'fixed-delay', 'exponential-delay', 'failure-rate']);

function fail(message: string): never {
  throw new InvalidArgumentError(`invalid job graph: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

function checkEdge(edge: unknown, where: string): asserts edge is JobEdge {
  if (!isObject(edge)) fail(`${where} is not an object`);
  for (const key of ['id', 'sourceVertexId', 'targetVertexId'] as const) {
    if (typeof edge[key] !== 'string' || edge[key] === '') fail(`${where} has no ${key}`);
  }
  if (typeof edge['partitioner'] !== 'string' || !PARTITIONERS.has(edge['partitioner'])) {
    fail(`${where} has an unknown partitioner ${JSON.stringify(edge['partitioner'])}`);
  }
}

function checkRestartStrategy(s: unknown): asserts s is RestartStrategySettings | undefined {
  if (s === undefined || s === null) return;
  if (!isObject(s) || typeof s['type'] !== 'string' || !RESTART_TYPES.has(s['type'])) {
    fail(`unknown restart strategy ${JSON.stringify(isObject(s) ? s['type'] : s)}`);
  }
  const numbers: Record<string, string[]> = {
    none: [],
    'fixed-delay': ['attempts', 'delayMs'],
    'exponential-delay': ['initialBackoffMs', 'maxBackoffMs', 'backoffMultiplier', 'resetBackoffThresholdMs', 'jitterFactor'],
    'failure-rate': ['maxFailuresPerInterval', 'failureRateIntervalMs', 'delayMs'],
  };
  for (const key of numbers[s['type']] ?? []) {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`restart strategy ${s['type']} needs a non-negative ${key}`);
  }
}

const MAX_PARALLELISM = 32768;
const MAX_VERTICES = 10_000;
const MAX_OPERATORS = 10_000;
const text = (max: number) => z.string().max(max, `is longer than ${max} characters`);
const idText = text(256).min(1, 'is empty');
const count = (min: number, max: number) => z.number().int().min(min).max(max);
const nonNegative = z.number().finite().min(0);

const PARTITIONER_KINDS = ['forward', 'rebalance', 'rescale', 'shuffle', 'global', 'broadcast', 'hash', 'custom'] as const;
const OPERATOR_KINDS = [
  'source', 'map', 'flatMap', 'filter', 'process', 'timestampsAndWatermarks', 'window', 'keyedProcess', 'keyedReduce',
  'keyedAggregation', 'coMap', 'coFlatMap', 'coProcess', 'keyedCoProcess', 'broadcastProcess', 'keyedBroadcastProcess',
  'intervalJoin', 'sink', 'asyncWait',
] as const;

const jobEdgeSchema = z.looseObject({
  id: idText,
  streamEdgeId: text(256),
  sourceVertexId: idText,
  targetVertexId: idText,
  partitioner: z.enum(PARTITIONER_KINDS),
  sourceOperatorIndex: count(0, MAX_OPERATORS),
  sideOutputTag: text(1024).optional(),
  targetOperatorIndex: count(0, MAX_OPERATORS),
  targetInput: count(0, 1),
});

const operatorSchema = z.looseObject({
  operatorId: idText,
  uid: text(1024).optional(),
  nodeId: count(0, Number.MAX_SAFE_INTEGER),
  name: text(4096),
  kind: z.enum(OPERATOR_KINDS),
  settings: z.record(z.string(), z.unknown()),
  numberOfInputs: count(0, 2),
  keyed: z.boolean(),
  chainedOutputs: z
    .array(z.looseObject({ targetOperatorIndex: count(0, MAX_OPERATORS), targetInput: count(0, 1), sideOutputTag: text(1024).optional() }))
    .max(MAX_OPERATORS),
  networkOutputs: z.array(count(0, MAX_VERTICES)).max(MAX_VERTICES),
});

/** The shapes of src/common/job-graph.ts (extra fields are let through for compatible additions). */
export const jobGraphSchema = z.looseObject({
  jobName: text(4096),
  fingerprint: idText,
  vertices: z
    .array(
      z.looseObject({
        id: idText,
        name: text(64 * 1024),
        parallelism: count(1, MAX_PARALLELISM),
        maxParallelism: count(1, MAX_PARALLELISM),
        operators: z.array(operatorSchema).min(1).max(MAX_OPERATORS),
        inputs: z.array(jobEdgeSchema).max(MAX_VERTICES),
        outputs: z.array(jobEdgeSchema).max(MAX_VERTICES),
      }),
    )
    .min(1)
    .max(MAX_VERTICES),
  settings: z.looseObject({
    parallelism: count(1, MAX_PARALLELISM),
    maxParallelism: count(1, MAX_PARALLELISM),
    bufferTimeoutMs: z.number().finite().min(-1),
    stateBackend: z.enum(['leveldb', 'memory']).optional(),
    checkpointStorage: text(4096).min(1, 'is empty').optional(),
    checkpoint: z.looseObject({
      intervalMs: nonNegative,
      mode: z.enum(['EXACTLY_ONCE', 'AT_LEAST_ONCE']),
      timeoutMs: nonNegative,
      minPauseMs: nonNegative,
      maxConcurrent: count(0, 1_000_000),
      tolerableFailures: count(0, Number.MAX_SAFE_INTEGER),
      retention: z.enum(['RETAIN_ON_CANCELLATION', 'DELETE_ON_CANCELLATION']),
    }),
    autoWatermarkIntervalMs: nonNegative,
  }),
});

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/**
 * Parses and validates a JobGraph JSON; throws InvalidArgumentError naming the first problem.
 * `maxBytes` bounds the JSON text (`rpc.json.max-size`).
 */
export function parseJobGraph(json: string, maxBytes = Number.MAX_SAFE_INTEGER): JobGraph {
  if (typeof json !== 'string' || !json) fail('job_graph_json is empty');
  if (json.length > maxBytes) fail(`job_graph_json is larger than rpc.json.max-size (${maxBytes} bytes)`);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    fail(`not JSON (${(err as Error).message})`);
  }
  return validateJobGraph(raw);
}

/** Validates an already parsed JobGraph (see {@link parseJobGraph}). */
export function validateJobGraph(raw: unknown): JobGraph {
  if (!isObject(raw)) fail('not an object');
  if (typeof raw['jobName'] !== 'string') fail('jobName must be a string');
  if (typeof raw['fingerprint'] !== 'string' || raw['fingerprint'] === '') fail('fingerprint is missing');
  const settings = raw['settings'];
  if (!isObject(settings)) fail('settings is missing');
  checkRestartStrategy(settings['restartStrategy']);
  if (settings['configuration'] !== undefined) {
    try {
      parseJobConfiguration(settings['configuration']);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const vertices = raw['vertices'];
  if (!Array.isArray(vertices) || vertices.length === 0) fail('it has no vertices');

  const position = new Map<string, number>();
  const parallelism = new Map<string, number>();
  vertices.forEach((v: unknown, i) => {
    if (!isObject(v)) fail(`vertex ${i} is not an object`);
    const id = v['id'];
    if (typeof id !== 'string' || id === '') fail(`vertex ${i} has no id`);
    if (position.has(id)) fail(`vertex id ${id} appears twice`);
    if (typeof v['name'] !== 'string') fail(`vertex ${id} has no name`);
    if (!isCount(v['parallelism'], 1)) fail(`vertex ${v['name']} has parallelism ${JSON.stringify(v['parallelism'])}`);
    if (!isCount(v['maxParallelism'], 1) || v['maxParallelism'] < v['parallelism']) {
      fail(`vertex ${v['name']} has maxParallelism ${JSON.stringify(v['maxParallelism'])} below its parallelism ${v['parallelism']}`);
    }
    if (!Array.isArray(v['operators']) || v['operators'].length === 0) fail(`vertex ${v['name']} has no operators`);
    if (!Array.isArray(v['inputs']) || !Array.isArray(v['outputs'])) fail(`vertex ${v['name']} needs inputs and outputs lists`);
    position.set(id, i);
    parallelism.set(id, v['parallelism']);
  });

  const edgeIds = new Set<string>();
  const consumed = new Set<string>();
  for (const v of vertices as Record<string, unknown>[]) {
    (v['inputs'] as unknown[]).forEach((e, i) => {
      checkEdge(e, `input ${i} of vertex ${v['name']}`);
      if (e.targetVertexId !== v['id']) fail(`edge ${e.id} is an input of ${v['id']} but targets ${e.targetVertexId}`);
      consumed.add(e.id);
    });
  }
  for (const v of vertices as Record<string, unknown>[]) {
    (v['outputs'] as unknown[]).forEach((e, i) => {
      checkEdge(e, `output ${i} of vertex ${v['name']}`);
      if (edgeIds.has(e.id)) fail(`edge id ${e.id} appears twice`);
      edgeIds.add(e.id);
      if (e.sourceVertexId !== v['id']) fail(`edge ${e.id} is an output of ${v['id']} but starts at ${e.sourceVertexId}`);
      const target = position.get(e.targetVertexId);
      if (target === undefined) fail(`edge ${e.id} targets unknown vertex ${e.targetVertexId}`);
      if (target <= position.get(e.sourceVertexId)!) fail(`edge ${e.id} points backwards: vertices must be in topological order`);
      if (!consumed.has(e.id)) fail(`edge ${e.id} is not among the inputs of ${e.targetVertexId}`);
      if (e.partitioner === 'forward' && parallelism.get(e.sourceVertexId) !== parallelism.get(e.targetVertexId)) {
        fail(`forward edge ${e.id} connects vertices of different parallelism`);
      }
    });
  }
  for (const id of consumed) if (!edgeIds.has(id)) fail(`input edge ${id} has no producing vertex`);
  const shape = jobGraphSchema.safeParse(raw);
  if (!shape.success) {
    const issue = shape.error.issues[0]!;
    fail(`${fieldPath(issue.path)} ${issue.message}`);
  }
  checkOperatorIndices(raw as unknown as JobGraph);
  return raw as unknown as JobGraph;
}

/** Chain and edge indices point at operators and outputs that exist, and chains only point forward. */
function checkOperatorIndices(graph: JobGraph): void {
  graph.vertices.forEach((v, vi) => {
    const n = v.operators.length;
    v.operators.forEach((op, oi) => {
      for (const c of op.chainedOutputs) {
        if (c.targetOperatorIndex <= oi || c.targetOperatorIndex >= n) fail(`vertices[${vi}].operators[${oi}].chainedOutputs points at operator ${c.targetOperatorIndex} of a chain of ${n}`);
      }
      for (const o of op.networkOutputs) {
        if (o >= v.outputs.length) fail(`vertices[${vi}].operators[${oi}].networkOutputs names output ${o} of ${v.outputs.length}`);
      }
    });
    for (const e of v.outputs) if (e.sourceOperatorIndex >= n) fail(`edge ${e.id} starts at operator ${e.sourceOperatorIndex} of a chain of ${n}`);
    for (const e of v.inputs) if (e.targetOperatorIndex >= n) fail(`edge ${e.id} ends at operator ${e.targetOperatorIndex} of a chain of ${n}`);
  });
}
