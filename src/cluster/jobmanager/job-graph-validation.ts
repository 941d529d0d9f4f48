/**
 * Validates a submitted JobGraph JSON enough that garbage is refused with INVALID_ARGUMENT
 * before anything is scheduled: shapes, unique ids, edges that connect existing vertices
 * forward, parallelism bounds, and a restart strategy the JobMaster understands.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { JobEdge, JobGraph, RestartStrategySettings } from '../../graph/job-graph.js';

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

/** Parses and validates a JobGraph JSON; throws InvalidArgumentError naming the first problem. */
export function parseJobGraph(json: string): JobGraph {
  if (!json) fail('job_graph_json is empty');
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    fail(`not JSON (${(err as Error).message})`);
  }
  if (!isObject(raw)) fail('not an object');
  if (typeof raw['jobName'] !== 'string') fail('jobName must be a string');
  if (typeof raw['fingerprint'] !== 'string' || raw['fingerprint'] === '') fail('fingerprint is missing');
  const settings = raw['settings'];
  if (!isObject(settings)) fail('settings is missing');
  checkRestartStrategy(settings['restartStrategy']);
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
  return raw as unknown as JobGraph;
}
