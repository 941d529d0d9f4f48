/**
 * Property-based robustness of every JobManager and TaskManager RPC: raw gRPC clients built
 * from proto/fluss.proto send arbitrary field values, garbage and mutated JSON, and oversized
 * bundles and payloads. Every call ends with a typed status (never INTERNAL, never a dropped
 * connection), the daemons keep serving, and afterwards the JobManager has all its slots free
 * and the TaskManager runs no task.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { GRPC_OPTIONS, loadFlussProto } from '../../src/core/proto.js';
import { newId } from '../../src/core/ids.js';
import { twoVertexJobGraph, waitFor } from './jobmanager-harness.js';

const MAX_BLOB = 64 * 1024;
const MAX_JSON = 32 * 1024;
/** Statuses a malformed request may end with: typed refusals, never INTERNAL or UNAVAILABLE. */
const TYPED = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.ALREADY_EXISTS,
  grpc.status.RESOURCE_EXHAUSTED,
]);

let cluster: MiniCluster;
let jm: grpc.Client & Record<string, unknown>;
let tm: grpc.Client & Record<string, unknown>;

beforeAll(async () => {
  cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: 2, config: { 'blob.max-size': MAX_BLOB, 'rpc.json.max-size': MAX_JSON } });
  await cluster.start();
  const proto = loadFlussProto();
  jm = new proto.JobManagerService(cluster.jobManagerAddress, grpc.credentials.createInsecure(), GRPC_OPTIONS) as typeof jm;
  tm = new proto.TaskManagerService(cluster.getTaskManagers()[0]!.address, grpc.credentials.createInsecure(), GRPC_OPTIONS) as typeof tm;
}, 30_000);

afterAll(async () => {
  jm?.close();
  tm?.close();
  await cluster?.stop();
});

/** Calls `method` raw; resolves with the status code (OK on success). */
function call(client: grpc.Client & Record<string, unknown>, method: string, request: unknown): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    const fn = client[method] as (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => void;
    fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' }));
  });
}

async function expectTyped(client: grpc.Client & Record<string, unknown>, method: string, request: unknown): Promise<void> {
  const { code, details } = await call(client, method, request);
  if (!TYPED.has(code)) throw new Error(`${method} answered ${grpc.status[code]}: ${details}`);
  expect(details.includes('\n')).toBe(false);
}

// ---- arbitraries ----
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', '0'.repeat(32), 'f'.repeat(64), '../../etc/passwd', '127.0.0.1:1', 'x:0'));
const hexId = fc.stringMatching(/^[0-9a-f]{32}$/);
const validGraph = twoVertexJobGraph(1, 1);
/** A valid graph with one field somewhere replaced by an arbitrary JSON value. */
const mutatedGraph = fc
  .tuple(fc.nat(), fc.nat(), fc.jsonValue())
  .map(([a, b, value]) => {
    const g = JSON.parse(JSON.stringify(validGraph)) as Record<string, unknown>;
    const paths: string[][] = [];
    const walk = (o: unknown, p: string[]): void => {
      if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) { paths.push([...p, k]); walk(v, [...p, k]); }
    };
    walk(g, []);
    const path = paths[(a + b) % paths.length]!;
    let target = g as Record<string, unknown>;
    for (const k of path.slice(0, -1)) target = target[k] as Record<string, unknown>;
    target[path[path.length - 1]!] = value;
    return JSON.stringify(g);
  });
const garbageJson = fc.oneof(fc.string(), fc.json(), mutatedGraph, fc.constant('{"vertices": [' + '{},'.repeat(10) + '{}]}'));
const bytes = fc.uint8Array({ maxLength: 512 });

const RUNS = { numRuns: 60 };

describe('JobManagerService under malformed requests', () => {
  it('SubmitJob: garbage graphs, ids and bundles get typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, garbageJson, fc.array(text, { maxLength: 5 }), fc.oneof(text, hexId), async (bundle, jobGraphJson, programArgs, jobId) => {
        await expectTyped(jm, 'submitJob', { bundle: Buffer.from(bundle), jobGraphJson, programArgs, jobId });
      }),
      RUNS,
    );
  });

  it('the other JobManager RPCs: arbitrary values get typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, int32, int32, text, text, garbageJson, async (a, b, n, m, state, cause, json) => {
        await expectTyped(jm, 'listJobs', { includeTerminated: n % 2 === 0 });
        await expectTyped(jm, 'getJob', { jobId: a });
        await expectTyped(jm, 'cancelJob', { jobId: b });
        await expectTyped(jm, 'heartbeat', { taskManagerId: a, registrationId: b, metricsJson: json });
        await expectTyped(jm, 'updateTaskExecutionState', { taskManagerId: a, jobId: b, vertexId: a, subtaskIndex: n, attempt: m, state, failureCause: cause });
        await expectTyped(jm, 'fetchBundle', { bundleHash: a });
        // Registration: only garbage (a valid one would register a TaskManager at a dead address).
        await expectTyped(jm, 'registerTaskManager', { taskManagerId: a, rpcAddress: `${b}:`, numberOfSlots: n, runningTasks: [] });
      }),
      RUNS,
    );
  });

  it('refuses oversized bundles and JSON with typed errors', async () => {
    const big = await call(jm, 'submitJob', { bundle: Buffer.alloc(MAX_BLOB + 1, 1), jobGraphJson: JSON.stringify(validGraph), programArgs: [], jobId: '' });
    expect(big.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(big.details).toBe(`invalid SubmitJobRequest: bundle is larger than blob.max-size (${MAX_BLOB} bytes)`);
    const huge = await call(jm, 'submitJob', { bundle: Buffer.alloc(10 * MAX_BLOB, 1), jobGraphJson: 'x', programArgs: [], jobId: '' });
    expect(huge.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const json = await call(jm, 'heartbeat', { taskManagerId: 'x', registrationId: 'y', metricsJson: ' '.repeat(MAX_JSON + 1) });
    expect(json).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: `invalid HeartbeatRequest: metrics_json is larger than rpc.json.max-size (${MAX_JSON} bytes)` });
    const graph = await call(jm, 'submitJob', { bundle: Buffer.from('x'), jobGraphJson: JSON.stringify({ ...validGraph, vertices: [{ ...validGraph.vertices[0], operators: [{ kind: 'map' }] }] }), programArgs: [], jobId: '' });
    expect(graph.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});

describe('TaskManagerService under malformed requests', () => {
  it('SubmitTask and CancelTask: garbage and mutated deployments get typed errors', async () => {
    const deployment = (jobId: string) => ({
      jobId,
      jobName: 'x',
      vertexId: 'src',
      subtaskIndex: 0,
      attempt: 0,
      bundleHash: 'a'.repeat(64),
      programArgs: [],
      inputGates: [],
      outputPartitions: [{ partitionId: `${jobId}/e1/0/0`, numberOfSubpartitions: 1 }],
    });
    const mutatedDeployment = fc.tuple(fc.constantFrom(...Object.keys(deployment(''))), fc.jsonValue()).map(([k, v]) => JSON.stringify({ ...deployment(newId()), [k]: v }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(garbageJson, mutatedDeployment), fc.oneof(garbageJson, mutatedGraph), text, int32, async (deploymentJson, jobGraphJson, a, n) => {
        await expectTyped(tm, 'submitTask', { deploymentJson, jobGraphJson });
        await expectTyped(tm, 'cancelTask', { jobId: a, vertexId: a, subtaskIndex: n, attempt: n });
      }),
      RUNS,
    );
    const oversized = await call(tm, 'submitTask', { deploymentJson: ' '.repeat(MAX_JSON + 1), jobGraphJson: '{}' });
    expect(oversized.code).toBe(grpc.status.INVALID_ARGUMENT);
    const wrongSubtask = await call(tm, 'submitTask', { deploymentJson: JSON.stringify({ ...deployment(newId()), subtaskIndex: 5 }), jobGraphJson: JSON.stringify(validGraph) });
    expect(wrongSubtask.details).toBe('invalid deployment_json: subtaskIndex 5 is not below the parallelism 1 of Source: words');
  });
});

describe('after the storm', () => {
  it('the daemons still serve, every slot is free and no task runs', async () => {
    const jobManager = (cluster as unknown as { jobManager: JobManager }).jobManager;
    // Whatever was accepted by accident (a mutation that stayed valid) is cancelled.
    for (const job of jobManager.dispatcher.listJobs(false)) jobManager.dispatcher.cancelJob(job.jobId);
    await waitFor(() => jobManager.dispatcher.listJobs(false).length === 0, 20_000, 'jobs to end');
    await waitFor(() => jobManager.resourceManager.slotPool.freeSlots === jobManager.resourceManager.slotPool.totalSlots, 20_000, 'slots to be free');
    await waitFor(() => cluster.getTaskManagers()[0]!.numberOfTasks === 0, 20_000, 'tasks to end');
    expect(jobManager.resourceManager.slotPool.totalSlots).toBe(2);
    expect(jobManager.resourceManager.numberOfTaskManagers).toBe(1);
    expect(await call(jm, 'listJobs', { includeTerminated: true })).toEqual({ code: grpc.status.OK, details: '' });
  });
});
