#!/usr/bin/env node
// JetStream → keyed count → JetStream on a two-TaskManager cluster, against a plain client.
//   npm run bench -- jetstream [messages] [--at-least-once]
// Starts nats-server (JetStream, temp store) and publishes `messages` JSON messages over 4
// subjects of stream IN. Baseline: one plain @nats-io/jetstream client consumes them all
// (ordered consumer, fetch batches) and publishes each to stream PIPE with a window of 1 024
// unacknowledged publishes — the same I/O the job does, without Fluss. Then a JobManager and two
// TaskManagers (one slot each, one per core) run at parallelism 2: a bounded JetStreamSource →
// keyBy → running count → JetStreamSink (EXACTLY_ONCE, checkpoint every second) into stream
// OUT. The job's rate is messages / "Job Runtime" (deployment included); the ratio is job/plain.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fluss');
const argv = process.argv.slice(2);
const N = Number(argv.find((a) => !a.startsWith('--')) ?? 200_000);
const GUARANTEE = argv.includes('--at-least-once') ? 'AT_LEAST_ONCE' : 'EXACTLY_ONCE';
const KEYS = 1_000;
const WINDOW = 1_024;
const dir = mkdtempSync(join(tmpdir(), 'fluss-bench-js-'));

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

const natsPort = await freePort();
const nats = spawn('nats-server', ['-js', '-sd', join(dir, 'nats'), '-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' });
const url = `nats://127.0.0.1:${natsPort}`;
const daemons = [];
// Interrupted (Ctrl-C, a timeout): the server and daemons must not outlive the bench.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const d of daemons) d.kill('SIGKILL');
    nats.kill('SIGKILL');
    process.exit(130);
  });
}
try {
  let nc;
  for (let i = 0; ; i++) {
    try {
      nc = await connect({ servers: url });
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  for (const [name, subjects] of [['IN', ['in.>']], ['PIPE', ['pipe.>']], ['OUT', ['out.>']]]) await jsm.streams.add({ name, subjects });

  /** Publishes with a window of unacknowledged publishes; resolves when all were acknowledged. */
  async function publishAll(count, subjectOf, payloadOf) {
    let pending = 0;
    let wake;
    for (let i = 0; i < count; i++) {
      while (pending >= WINDOW) await new Promise((r) => (wake = r));
      pending++;
      js.publish(subjectOf(i), payloadOf(i)).then(() => {
        pending--;
        wake?.();
      });
    }
    while (pending > 0) await new Promise((r) => (wake = r));
  }

  let t = performance.now();
  await publishAll(N, (i) => `in.${i % 4}`, (i) => JSON.stringify({ k: i % KEYS, i }));
  const publishRate = N / ((performance.now() - t) / 1000);
  console.error(`published ${N} messages`);

  // Plain pipe: consume IN, publish every message to PIPE.
  t = performance.now();
  const consumer = await js.consumers.get('IN', {});
  let consumed = 0;
  let pending = 0;
  let wake;
  while (consumed < N) {
    for await (const m of await consumer.fetch({ max_messages: 1_024, expires: 2_000 })) {
      consumed++;
      while (pending >= WINDOW) await new Promise((r) => (wake = r));
      pending++;
      js.publish(`pipe.${m.json().k}`, m.data).then(() => {
        pending--;
        wake?.();
      });
    }
  }
  while (pending > 0) await new Promise((r) => (wake = r));
  const plainRate = N / ((performance.now() - t) / 1000);
  await nc.close();

  writeFileSync(
    join(dir, 'job.mjs'),
    `import { defineJob, JetStreamSink, JetStreamSource, WatermarkStrategy } from 'fluss';
export default defineJob((env, [url, guarantee]) => {
  env.enableCheckpointing(1000);
  env
    .fromSource(JetStreamSource.builder().setServers(url).setStream('IN').setBounded().setDeserializer((r) => r.json()).build(), WatermarkStrategy.noWatermarks(), 'in')
    .map((m) => [m.k, 1])
    .keyBy((t) => t[0])
    .sum(1)
    .sinkTo(JetStreamSink.builder().setServers(url).setStream('OUT').setSubject((t) => 'out.' + t[0]).setSerializer((t) => String(t[1])).setDeliveryGuarantee(guarantee).build());
});
`,
  );
  const port = await freePort();
  const common = ['-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `state.checkpoints.dir=${join(dir, 'chk')}`];
  const env = { ...process.env, FLUSS_LOG_LEVEL: 'warn' };
  daemons.push(spawn(process.execPath, [bin, 'jobmanager', ...common], { env, stdio: 'ignore' }));
  for (let i = 0; i < 2; i++) daemons.push(spawn(process.execPath, [bin, 'taskmanager', ...common], { env, stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 3000));
  const res = spawnSync(process.execPath, [bin, 'run', '-m', `127.0.0.1:${port}`, '-p', '2', join(dir, 'job.mjs'), url, GUARANTEE], { env, encoding: 'utf8' });
  if (res.status !== 0) {
    console.error(res.stdout, res.stderr);
    process.exitCode = 1;
  } else {
    const ms = Number(/Job Runtime: (\d+) ms/.exec(res.stdout)?.[1]);
    const jobRate = N / (ms / 1000);
    const nc2 = await connect({ servers: url });
    const out = (await (await jetstreamManager(nc2)).streams.info('OUT')).state.messages;
    await nc2.close();
    console.log(`messages           ${N} over 4 subjects, ${KEYS} keys; sink ${GUARANTEE}`);
    console.log(`plain publish      ${Math.round(publishRate)} msg/s (window ${WINDOW})`);
    console.log(`plain pipe         ${Math.round(plainRate)} msg/s (consume IN + publish to PIPE, one client)`);
    console.log(`fluss job          ${Math.round(jobRate)} msg/s (${ms} ms, deployment included; ${out} messages on OUT)`);
    console.log(`ratio job / pipe   ${(jobRate / plainRate).toFixed(2)}`);
    console.log(JSON.stringify({ bench: 'jetstream', messages: N, guarantee: GUARANTEE, publishRate: Math.round(publishRate), plainPipeRate: Math.round(plainRate), jobRate: Math.round(jobRate), jobMs: ms, outMessages: out, ratio: Number((jobRate / plainRate).toFixed(3)) }));
  }
} finally {
  for (const d of daemons) d.kill('SIGTERM');
  nats.kill('SIGTERM');
}
