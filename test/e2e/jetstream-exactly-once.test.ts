/**
 * JetStream end to end on a real cluster (JobManager and TaskManager processes from bin/fluss)
 * and a real nats-server: JetStream source → keyBy → running count → JetStream sink
 * (EXACTLY_ONCE). While messages are being published, two TaskManagers are SIGKILLed and the
 * nats-server is restarted; every key's counts on the output stream must then be exactly
 * 1, 2, …, n, once each: no message read twice or lost by the source, no output
 * stored twice by the sink. Then a rescale: the job is stopped with a savepoint at parallelism 2
 * and resumed from it at parallelism 3, and again every count appears exactly once.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, waitFor } from '../helpers/process-cluster.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { KillableCluster, sleep } from './exactly-once-harness.js';

const KEYS = 8;

/** args: nats url, input stream, output subject prefix, parallelism, checkpoint interval. */
const JOB = `
import { defineJob, JetStreamSink, JetStreamSource, RestartStrategies, WatermarkStrategy } from 'fluss';

interface Rec { k: number; n: number }

export default defineJob((env, [url, stream, out, parallelism, interval]) => {
  env.enableCheckpointing(Number(interval));
  env.setRestartStrategy(RestartStrategies.fixedDelay(100, 200));
  env
    .fromSource(
      JetStreamSource.builder().setServers(url).setStream(stream).setDeserializer((r) => r.json<{ k: number }>()).build(),
      WatermarkStrategy.noWatermarks(),
      'orders',
    )
    .uid('orders')
    .setParallelism(Number(parallelism))
    .map((m: { k: number }): Rec => ({ k: m.k, n: 1 }))
    .keyBy((r: Rec) => r.k)
    .sum('n')
    .uid('count')
    .sinkTo(JetStreamSink.builder<Rec>().setServers(url).setStream('OUT').setSubject((r) => out + '.' + r.k).setSerializer((r) => String(r.n)).build())
    .uid('sink');
});
`;

let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;
const cluster = new KillableCluster({ taskManagers: 2, slots: 2 });

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  jsm = await jetstreamManager(nc);
  js = jetstream(nc);
  await jsm.streams.add({ name: 'OUT', subjects: ['out.>', 'rescaled.>'] });
  writeFileSync(join(cluster.workDir, 'jetstream-job.ts'), JOB);
  // On a loaded machine TaskManagers may take longer than the harness's 30 s to register.
  await cluster.start().catch(() => cluster.waitForRegistrations(2, 120_000));
}, 180_000);

afterAll(async () => {
  await cluster.stop();
  await nc?.close();
  await nats?.dispose();
});

/** Publishes `count` messages `{k}` over KEYS subjects at about `rate`/s, each retried with its id until stored. */
async function publish(stream: string, from: number, count: number, rate: number): Promise<void> {
  const started = Date.now();
  for (let i = from; i < from + count; i++) {
    const subject = `${stream.toLowerCase()}.${i % 4}`;
    for (;;) {
      try {
        await js.publish(subject, JSON.stringify({ k: i % KEYS }), { msgID: `${stream}-${i}`, timeout: 2_000 });
        break;
      } catch {
        await sleep(100);
      }
    }
    const ahead = started + ((i - from) * 1000) / rate - Date.now();
    if (ahead > 5) await sleep(ahead);
  }
}

/** Every count stored under `out.<k>`, per key, in stream order. */
async function outputCounts(prefix: string): Promise<Map<number, number[]>> {
  const per = new Map<number, number[]>();
  const info = await jsm.streams.info('OUT', { subjects_filter: `${prefix}.>` });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (total === 0) return per;
  const c = await js.consumers.get('OUT', { filter_subjects: `${prefix}.>` });
  let seen = 0;
  while (seen < total) {
    for await (const m of await c.fetch({ max_messages: 2_000, expires: 2_000 })) {
      seen++;
      const k = Number(m.subject.split('.')[1]);
      const list = per.get(k) ?? [];
      list.push(Number(m.string()));
      per.set(k, list);
    }
  }
  return per;
}

/** Waits until each key's last count is `perKey`, then checks every key's counts are 1..perKey once each, in order. */
async function expectExactlyOnce(prefix: string, perKey: number): Promise<void> {
  await waitFor(`every key to reach ${perKey} on ${prefix}`, async () => {
    const per = await outputCounts(prefix);
    return per.size === KEYS && [...per.values()].every((l) => l.at(-1) === perKey);
  }, 90_000, 1_000).catch(async (e: Error) => {
    const per = await outputCounts(prefix);
    throw new Error(`${e.message}: last counts ${JSON.stringify([...per].map(([k, l]) => [k, l.length, l.at(-1)]))}\n${cluster.logs()}`);
  });
  const per = await outputCounts(prefix);
  // Exactly once: each count once (a publish retried across a server restart may land after later ones).
  for (let k = 0; k < KEYS; k++) expect([...per.get(k)!].sort((a, b) => a - b), `key ${k}`).toEqual(Array.from({ length: perKey }, (_, i) => i + 1));
}

async function submit(stream: string, out: string, parallelism: number, restore?: string): Promise<string> {
  const r = await runCli(['run', '-d', '-m', cluster.address, ...(restore ? ['-s', restore] : []), join(cluster.workDir, 'jetstream-job.ts'), nats.url, stream, out, String(parallelism), '300']);
  if (r.code !== 0) throw new Error(`submission failed (${r.code}): ${r.stderr}`);
  return /JobID ([0-9a-f]{32})/.exec(r.stdout)![1]!;
}

async function waitForCheckpointAfter(jobId: string, after: number): Promise<number> {
  const last = await waitFor(`a checkpoint after ${after}`, () => {
    const id = cluster.completedCheckpoints(jobId).at(-1) ?? 0;
    return id > after ? id : undefined;
  }, 60_000, 100);
  return last!;
}

describe('JetStream source and sink exactly once (process cluster)', () => {
  it('keeps every count exactly once through two TaskManager SIGKILLs and a nats-server restart', async () => {
    const MESSAGES = 8_000;
    await jsm.streams.add({ name: 'IN', subjects: ['in.>'] });
    const jobId = await submit('IN', 'out', 2);
    await cluster.waitForJobState(jobId, 'RUNNING');
    const publishing = publish('IN', 0, MESSAGES, 800);
    let last = await waitForCheckpointAfter(jobId, 0);
    await cluster.replaceTaskManager(0);
    await cluster.waitForJobState(jobId, 'RUNNING');
    last = await waitForCheckpointAfter(jobId, last);
    await nats.restart();
    last = await waitForCheckpointAfter(jobId, last);
    await cluster.replaceTaskManager(1);
    await cluster.waitForJobState(jobId, 'RUNNING');
    await publishing;
    await expectExactlyOnce('out', MESSAGES / KEYS);
    await runCli(['cancel', '-m', cluster.address, jobId]);
  }, 240_000);

  it('rescales from a savepoint at parallelism 2 to 3 and reads every message exactly once', async () => {
    const MESSAGES = 4_000;
    await jsm.streams.add({ name: 'RS', subjects: ['rs.>'] });
    await publish('RS', 0, MESSAGES / 2, 100_000);
    const first = await submit('RS', 'rescaled', 2);
    await cluster.waitForJobState(first, 'RUNNING');
    const publishing = publish('RS', MESSAGES / 2, MESSAGES / 2, 1_000);
    await waitForCheckpointAfter(first, 0);
    const stop = await runCli(['stop', '-m', cluster.address, '-p', join(cluster.checkpointsDir, 'savepoints'), first]);
    expect(stop.code, stop.stderr).toBe(0);
    const savepoint = /Savepoint completed\. Path: (\S+)/.exec(stop.stdout)![1]!;
    const second = await submit('RS', 'rescaled', 3, savepoint);
    await cluster.waitForJobState(second, 'RUNNING');
    await publishing;
    await expectExactlyOnce('rescaled', MESSAGES / KEYS);
    await runCli(['cancel', '-m', cluster.address, second]);
  }, 180_000);
});
