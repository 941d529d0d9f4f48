/**
 * The JetStream source's options against a real nats-server: every starting position (earliest,
 * latest, a stream sequence, a time) reads exactly the messages it names; an unbounded job with
 * filter `x.>` picks up a subject that appears while it runs, exactly once, and nothing outside
 * its filter; at parallelism 2 with one subject (one reader has no split) event-time windows
 * downstream still fire; a server requiring a token or a user and password fails a source with
 * wrong credentials in one line naming the address and not the secret (nor one written into the
 * server URL), and serves the right ones.
 * Unbounded jobs run on an in-process MiniCluster, their sink fills an array of this process,
 * and they are cancelled once the polled condition holds.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import {
  JetStreamSource,
  JetStreamStartingPositions,
  type JetStreamStartingPosition,
  MiniCluster,
  JobManagerClient,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
} from '../../src/index.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { newId } from '../../src/core/ids.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { waitFor } from './jobmanager-harness.js';

const DEADLINE = 60_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let cluster: MiniCluster;
let client: JobManagerClient;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  // A slot per subtask of every job of this file: a job never waits for the last one's slots.
  cluster = new MiniCluster({ numTaskManagers: 1, slotsPerTaskManager: 6, config: { 'state.backend.type': 'memory' } });
  await cluster.start();
  client = new JobManagerClient(cluster.jobManagerAddress);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
  await nc?.close();
  await server?.dispose();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs an unbounded job on the MiniCluster; cancelled (and waited for) after the test. */
async function runUnbounded(job: (env: StreamExecutionEnvironment) => void): Promise<string> {
  const build = () => buildJob(job, []);
  const { jobGraph } = await build();
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  cleanups.push(() => unregisterInProcessJob(hash));
  await client.submitJob({ bundle: Buffer.from(hash), jobGraph, programArgs: [], jobId });
  cleanups.push(async () => {
    await client.cancelJob(jobId);
    await waitFor(async () => ['CANCELED', 'FAILED', 'FINISHED'].includes((await client.getJob(jobId)).status), DEADLINE, 'the job to end');
  });
  return jobId;
}

/** Polls `predicate` until `DEADLINE`; the error names the job's status. */
async function waitForJob(jobId: string, predicate: () => boolean, what: string): Promise<void> {
  try {
    await waitFor(predicate, DEADLINE, what);
  } catch (err) {
    const info = await client.getJob(jobId);
    const vertices = info.vertices.map((v) => `${v.name} ${v.status}`).join(', ');
    throw new Error(`${(err as Error).message} (job ${info.status}${info.failureCause ? `: ${info.failureCause}` : ''}; ${vertices})`);
  }
}

/** Runs a bounded job in-process; resolves with its records or the error message. */
function readBounded<T>(source: JetStreamSource<T>, parallelism = 2): Promise<T[] | string> {
  const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: parallelism });
  return env.fromSource(source, WatermarkStrategy.noWatermarks(), 'js').executeAndCollect().then(
    (r) => r,
    (err: Error) => err.message,
  );
}

/** How often each value occurs. */
function counts(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe('JetStreamSource options', () => {
  it('starts at the earliest message, a stream sequence, a time, or after the last one', async () => {
    await jsm.streams.add({ name: 'POS', subjects: ['pos.>'] });
    for (let seq = 1; seq <= 10; seq++) await js.publish(seq % 2 ? 'pos.a' : 'pos.b', String(seq));
    // The second half is stored in a later millisecond than the first.
    await sleep(20);
    for (let seq = 11; seq <= 20; seq++) await js.publish(seq % 2 ? 'pos.a' : 'pos.b', String(seq));
    const t11 = (await jsm.streams.getMessage('POS', { seq: 11 }))!.time.getTime();
    expect((await jsm.streams.getMessage('POS', { seq: 10 }))!.time.getTime()).toBeLessThan(t11);

    const read = async (start: JetStreamStartingPosition): Promise<number[]> => {
      const source = JetStreamSource.builder()
        .setServers(server.url)
        .setStream('POS')
        .setStartingPosition(start)
        .setBounded()
        .setDeserializer((r) => {
          // The payload is the sequence it was published at.
          expect(r.string()).toBe(String(r.sequence));
          return r.sequence;
        })
        .build();
      const got = await readBounded(source);
      if (typeof got === 'string') throw new Error(got);
      return got.sort((a, b) => a - b);
    };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(await read(JetStreamStartingPositions.earliest())).toEqual(range(1, 20));
    expect(await read(JetStreamStartingPositions.sequence(7))).toEqual(range(7, 20));
    expect(await read(JetStreamStartingPositions.timestamp(t11))).toEqual(range(11, 20));
    expect(await read(JetStreamStartingPositions.latest())).toEqual([]);
  }, 60_000);

  it('latest: an unbounded job reads only the messages stored after it started, each once', async () => {
    await jsm.streams.add({ name: 'LATEST', subjects: ['late.>'] });
    for (let i = 0; i < 5; i++) await js.publish('late.a', `old-${i}`);
    const got: string[] = [];
    const jobId = await runUnbounded((env) => {
      env.setParallelism(1);
      env
        .fromSource(JetStreamSource.builder().setServers(server.url).setStream('LATEST').setStartingPosition(JetStreamStartingPositions.latest()).build(), WatermarkStrategy.noWatermarks(), 'late')
        .addSink((v: string) => void got.push(v));
    });
    // When the reader took its position is not observable from here: probes until one is read.
    let probes = 0;
    const deadline = Date.now() + DEADLINE;
    while (got.length === 0) {
      if (Date.now() > deadline) throw new Error('no probe was read');
      await js.publish('late.a', `probe-${probes++}`);
      await sleep(200);
    }
    for (let i = 0; i < 20; i++) await js.publish('late.a', `new-${i}`);
    await waitForJob(jobId, () => got.includes('new-19'), 'the new messages');
    expect(got.filter((v) => v.startsWith('old-'))).toEqual([]);
    // The probes read are the last ones published, in order, once each.
    const readProbes = got.filter((v) => v.startsWith('probe-'));
    const first = probes - readProbes.length;
    expect(readProbes).toEqual(Array.from({ length: readProbes.length }, (_, i) => `probe-${first + i}`));
    expect(got.filter((v) => v.startsWith('new-'))).toEqual(Array.from({ length: 20 }, (_, i) => `new-${i}`));
  }, 90_000);

  it('discovers a subject that appears while the job runs and reads it exactly once', async () => {
    await jsm.streams.add({ name: 'DISC', subjects: ['x.>', 'y.>'] });
    for (let i = 0; i < 5; i++) {
      await js.publish('x.a', `x.a-${i}`);
      await js.publish('y.a', `y.a-${i}`);
    }
    const got: string[] = [];
    const jobId = await runUnbounded((env) => {
      env.setParallelism(2);
      env
        .fromSource(JetStreamSource.builder().setServers(server.url).setStream('DISC').setSubjects('x.>').setDiscoveryInterval(100).build(), WatermarkStrategy.noWatermarks(), 'disc')
        .addSink((v: string) => void got.push(v));
    });
    await waitForJob(jobId, () => got.length >= 5, 'the messages of x.a');
    for (let i = 0; i < 10; i++) {
      await js.publish('x.new', `x.new-${i}`);
      await js.publish('y.new', `y.new-${i}`);
    }
    await js.publish('x.a', 'x.a-5');
    await waitForJob(jobId, () => got.includes('x.new-9') && got.includes('x.a-5'), 'the messages of x.new');
    // A last message per subject: anything read twice before it would be in `got` by now.
    await js.publish('x.new', 'x.new-end');
    await js.publish('x.a', 'x.a-end');
    await waitForJob(jobId, () => got.includes('x.new-end') && got.includes('x.a-end'), 'the last messages');
    expect(got.filter((v) => v.startsWith('x.new-'))).toEqual([...Array.from({ length: 10 }, (_, i) => `x.new-${i}`), 'x.new-end']);
    expect(got.filter((v) => v.startsWith('x.a-'))).toEqual([...Array.from({ length: 6 }, (_, i) => `x.a-${i}`), 'x.a-end']);
    expect(got.filter((v) => v.startsWith('y.'))).toEqual([]);
    expect(got.length).toBe(18);
  }, 90_000);

  it('fires event-time windows at parallelism 2 when only one reader has a split (the other is idle)', async () => {
    await jsm.streams.add({ name: 'IDLE', subjects: ['w.>'] });
    // Event times 0 s … 29 s, three keys, then one event at 45 s that moves the watermark past 30 s.
    const events = Array.from({ length: 30 }, (_, i) => ({ k: `k${i % 3}`, t: i * 1_000 }));
    for (const e of [...events, { k: 'k0', t: 45_000 }]) await js.publish('w.only', JSON.stringify(e));
    const expected = counts(events.map((e) => `${e.k}@${Math.floor(e.t / 10_000) * 10_000}`));
    const got: string[] = [];
    const jobId = await runUnbounded((env) => {
      env.setParallelism(2);
      env
        .fromSource(
          JetStreamSource.builder().setServers(server.url).setStream('IDLE').setDeserializer((r) => r.json<{ k: string; t: number }>()).build(),
          WatermarkStrategy.forMonotonousTimestamps<{ k: string; t: number }>().withTimestampAssigner((e) => e.t),
          'idle',
        )
        .keyBy((e) => e.k)
        .window(TumblingEventTimeWindows.of(10_000))
        .aggregate(
          { createAccumulator: () => 0, add: (_e: { k: string; t: number }, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
          (key: string, ctx, ns: Iterable<number>, out) => out.collect(`${key}@${ctx.window.start}=${[...ns][0]}`),
        )
        .addSink((v: unknown) => void got.push(String(v)));
    });
    await waitForJob(jobId, () => got.length >= expected.size, 'the windows to fire');
    expect([...got].sort()).toEqual([...expected].map(([w, n]) => `${w}=${n}`).sort());
  }, 90_000);

  it('fails with one line naming the server, not the secret, on wrong credentials, and reads with the right ones', async () => {
    const check = async (auth: { token?: string; user?: string; pass?: string }, wrong: { token?: string; user?: string; pass?: string }, secret: string) => {
      const secured = await startNatsServer(auth);
      cleanups.push(() => secured.dispose());
      const admin = await connect({ servers: secured.url, ...auth });
      cleanups.push(() => admin.close());
      await (await jetstreamManager(admin)).streams.add({ name: 'SECURE', subjects: ['s.>'] });
      for (let i = 0; i < 3; i++) await jetstream(admin).publish('s.a', `m${i}`);
      const source = (options: { token?: string; user?: string; pass?: string }) =>
        JetStreamSource.builder().setServers(secured.url).setStream('SECURE').setConnectionOptions(options).setBounded().build();

      const failed = await readBounded(source(wrong), 1);
      expect(typeof failed).toBe('string');
      const message = failed as string;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain(secured.url);
      expect(message).not.toContain(secret);
      expect(await readBounded(source(auth), 1)).toEqual(['m0', 'm1', 'm2']);
      // Credentials written into the URL (as other NATS clients take them) are not printed either.
      const inUrl = secured.url.replace('nats://', `nats://${wrong.user ?? 'x'}:${secret}@`);
      const urlFailed = await readBounded(JetStreamSource.builder().setServers(inUrl).setStream('SECURE').setBounded().build(), 1);
      expect(typeof urlFailed).toBe('string');
      expect((urlFailed as string).split('\n')).toHaveLength(1);
      expect(urlFailed).toContain(`127.0.0.1:${secured.port}`);
      expect(urlFailed).not.toContain(secret);
    };
    await check({ token: 's3cr3t-token' }, { token: 'wr0ng-token-123' }, 'wr0ng-token-123');
    await check({ user: 'alice', pass: 'right-pass' }, { user: 'alice', pass: 'wr0ng-pass-456' }, 'wr0ng-pass-456');
  }, 60_000);
});
