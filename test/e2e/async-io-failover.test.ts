/**
 * Async I/O under TaskManager crashes: a job enriches every (key, seq) record through a local
 * HTTP service with AsyncDataStream.orderedWait (requests always in flight), checks the
 * sequence per key and writes with the exactly-once FileSink. A TaskManager process is
 * SIGKILLed while requests are in flight; the job restores the in-flight records from its
 * checkpoint, requests them again, and commits every record exactly once, in order per key.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, describeCheck, KillableCluster, randomBetween, sleep } from './exactly-once-harness.js';

/** Small enough for a loaded machine: one kill, then the job finishes. */
const RECORDS = 8_000;
const KEYS = 8;

/** SEQUENCE_JOB with an async enrichment between the generator and the sequence check. */
const ASYNC_JOB = `
import {
  defineJob, AsyncDataStream, DataGeneratorSource, FileSink, KeyedProcessFunction, RestartStrategies,
  ValueStateDescriptor, WatermarkStrategy, type Collector, type KeyedProcessContext, type ValueState,
} from 'fluss';

interface Rec { k: number; s: number }

class SequenceCheck extends KeyedProcessFunction<number, Rec, string> {
  private last!: ValueState<number>;
  override open(): void {
    this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('last', -1));
  }
  processElement(r: Rec, _ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    const last = this.last.value() ?? -1;
    if (r.s !== last + 1) out.collect('ALERT ' + r.k + ' ' + r.s + ' after ' + last);
    this.last.update(r.s);
    out.collect(r.k + ' ' + r.s);
  }
}

export default defineJob((env, [output, n, k, rate, interval, parallelism, _delay, restartDelay, service]) => {
  const N = Number(n), K = Number(k), P = Number(parallelism);
  env.enableCheckpointing(Number(interval));
  env.setRestartStrategy(RestartStrategies.fixedDelay(100, Number(restartDelay)));
  const records = env
    .fromSource(
      new DataGeneratorSource((i: number): Rec => ({ k: i % K, s: Math.floor(i / K) }), N, { ratePerSecond: Number(rate) }),
      WatermarkStrategy.noWatermarks(),
      'sequence generator',
    )
    .setParallelism(P);
  AsyncDataStream.orderedWait(
    records,
    async (r: Rec): Promise<Rec> => {
      const res = await fetch(service + '/enrich?k=' + r.k + '&s=' + r.s);
      if (!res.ok) throw new Error('service answered ' + res.status);
      return (await res.json()) as Rec;
    },
    10_000,
    50,
  )
    .setParallelism(P)
    .keyBy((r: Rec) => r.k)
    .process(new SequenceCheck())
    .name('sequence check')
    .setParallelism(P)
    .sinkTo(FileSink.forRowFormat<string>(output))
    .name('file sink')
    .setParallelism(P);
});
`;

/** A service answering {k, s} after a random 5–40 ms; counts requests and those in flight. */
function startService(): Promise<{ server: Server; url: string; stats: { requests: number; inFlight: number } }> {
  const stats = { requests: 0, inFlight: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    const q = new URL(req.url!, 'http://x').searchParams;
    setTimeout(() => {
      stats.inFlight--;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ k: Number(q.get('k')), s: Number(q.get('s')) }));
    }, 5 + Math.random() * 35);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stats })),
  );
}

describe('async I/O with TaskManagers killed', () => {
  const cluster = new KillableCluster({ taskManagers: 2, slots: 2 });
  let service: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    service = await startService();
    await cluster.start();
  });
  afterAll(async () => {
    await cluster.stop();
    service?.server.close();
  });

  it('restores in-flight requests after SIGKILLs and commits every record exactly once', async () => {
    const jobId = await cluster.submit({
      records: RECORDS,
      keys: KEYS,
      ratePerSecond: 2000,
      checkpointIntervalMs: 400,
      parallelism: 2,
      jobSource: ASYNC_JOB,
      extraArgs: [service.url],
    });
    await cluster.waitForJobState(jobId, 'RUNNING');
    let lastCheckpoint = 0;
    let killedWithRequestsInFlight = 0;
    for (let kill = 0; kill < 1; kill++) {
      await waitForNewCheckpoint(cluster, jobId, lastCheckpoint);
      await sleep(randomBetween(50, 300));
      lastCheckpoint = cluster.completedCheckpoints(jobId).at(-1) ?? 0;
      if (service.stats.inFlight > 0) killedWithRequestsInFlight++;
      await cluster.replaceTaskManager(randomBetween(0, cluster.taskManagers.length));
      await cluster.waitForJobState(jobId, 'RUNNING');
    }
    await cluster.waitForJobState(jobId, 'FINISHED', 60_000);
    const check = checkOutput(cluster.outputDir, RECORDS, KEYS);
    expect(check.duplicates, describeCheck(check)).toEqual([]);
    expect(check.gaps, describeCheck(check)).toEqual([]);
    expect(check.outOfOrder, describeCheck(check)).toEqual([]);
    expect(check.alerts, describeCheck(check)).toEqual([]);
    expect(check.records).toBe(RECORDS);
    expect(killedWithRequestsInFlight).toBeGreaterThan(0);
    // Calls are at least once: records in flight or after the restored checkpoint were requested again.
    expect(service.stats.requests).toBeGreaterThan(RECORDS);
  }, 180_000);
});

async function waitForNewCheckpoint(cluster: KillableCluster, jobId: string, after: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((cluster.completedCheckpoints(jobId).at(-1) ?? 0) <= after) {
    if (Date.now() > deadline) throw new Error(`no checkpoint after ${after}\n${cluster.logs()}`);
    await sleep(50);
  }
}
