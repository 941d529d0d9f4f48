/**
 * A cluster for REST, metrics and dashboard tests: the real JobManager (REST on a free port)
 * and real TaskManagers in this process over loopback gRPC, running jobs built with the
 * DataStream API through the in-process job registry (no bundling).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildJob, type JobBuilder } from '../../src/api/build-job.js';
import { JobManager } from '../../src/cluster/jobmanager/job-manager.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';
import { TaskManager } from '../../src/cluster/taskmanager/task-manager.js';
import { loadConfig, type RawConfig } from '../../src/core/config.js';
import { newId } from '../../src/core/ids.js';
import { silentLogger } from '../../src/core/logger.js';

/** A running test cluster. */
export interface RestTestCluster {
  jobManager: JobManager;
  taskManagers: TaskManager[];
  client: JobManagerClient;
  /** `http://host:port` of the REST API. */
  baseUrl: string;
  /** Submits a job built by `builder`; resolves with its id. */
  submit(builder: JobBuilder, name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a JobManager and `taskManagers` TaskManagers with `slots` slots each. */
export async function startRestTestCluster(options: { taskManagers?: number; slots?: number; config?: RawConfig } = {}): Promise<RestTestCluster> {
  const workDir = await mkdtemp(join(tmpdir(), 'fluss-rest-'));
  const config = loadConfig({
    properties: '',
    overrides: {
      'jobmanager.rpc.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'taskmanager.numberOfTaskSlots': options.slots ?? 2,
      'io.tmp.dirs': join(workDir, 'tmp'),
      'high-availability.storageDir': join(workDir, 'ha'),
      'heartbeat.interval': 200,
      'heartbeat.timeout': 5_000,
      ...(options.config ?? {}),
    },
  });
  const jobManager = new JobManager(config, silentLogger());
  await jobManager.start();
  const taskManagers: TaskManager[] = [];
  for (let i = 0; i < (options.taskManagers ?? 1); i++) {
    const tm = new TaskManager(config, silentLogger(), { jobManagerAddress: jobManager.address });
    await tm.start();
    taskManagers.push(tm);
  }
  await Promise.all(taskManagers.map((tm) => tm.whenRegistered()));
  const client = new JobManagerClient(jobManager.address);
  const hashes: string[] = [];
  return {
    jobManager,
    taskManagers,
    client,
    baseUrl: `http://${jobManager.restAddress}`,
    async submit(builder, name) {
      const build = () => buildJob(builder, []);
      const built = await build();
      const jobId = newId();
      const hash = registerInProcessJob(build, jobId);
      hashes.push(hash);
      return client.submitJob({ bundle: Buffer.from(hash), jobGraph: { ...built.jobGraph, jobName: name }, programArgs: [], jobId });
    },
    async stop() {
      client.close();
      await Promise.all(taskManagers.map((tm) => tm.stop()));
      await jobManager.stop();
      for (const h of hashes) unregisterInProcessJob(h);
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** GET/PATCH/POST `path` on the REST API; resolves with status, JSON body and content type. */
export async function rest(baseUrl: string, path: string, init?: RequestInit): Promise<{ status: number; body: any; contentType: string; text: string }> {
  const res = await fetch(`${baseUrl}${path}`, init);
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let body: unknown = undefined;
  if (contentType.startsWith('application/json')) body = JSON.parse(text);
  return { status: res.status, body, contentType, text };
}

/** Polls until `check` returns a truthy value. */
export async function eventually<T>(what: string, check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
