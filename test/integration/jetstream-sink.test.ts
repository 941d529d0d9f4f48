/**
 * The JetStream sink against a real nats-server: a bounded job (JetStream source → map →
 * JetStream sink) stores every record once with a `Nats-Msg-Id` of (job, checkpoint, subtask,
 * sequence) in both delivery guarantees; publishing the same ids again (what a restore does)
 * stores nothing new; a sink whose stream does not exist, or whose subject no stream takes,
 * fails with one line.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamSink, JetStreamSource, StreamExecutionEnvironment, WatermarkStrategy } from '../../src/index.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';

const COUNT = 5_000;

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'IN', subjects: ['in.>'] });
  await jsm.streams.add({ name: 'OUT', subjects: ['out.>'] });
  const js = jetstream(nc);
  const acks: Promise<unknown>[] = [];
  for (let i = 0; i < COUNT; i++) acks.push(js.publish(`in.${i % 4}`, String(i)));
  await Promise.all(acks);
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

/** The payloads stored under `subject` and their message ids. */
async function stored(filter: string): Promise<{ values: string[]; ids: string[] }> {
  const values: string[] = [];
  const ids: string[] = [];
  const info = await jsm.streams.info('OUT', { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  const c = await jetstream(nc).consumers.get('OUT', { filter_subjects: filter });
  while (values.length < total) {
    const batch = await c.fetch({ max_messages: 1000, expires: 2000 });
    for await (const m of batch) {
      values.push(m.string());
      ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
    }
  }
  return { values, ids };
}

describe('JetStreamSink', () => {
  for (const guarantee of ['EXACTLY_ONCE', 'AT_LEAST_ONCE'] as const) {
    it(`stores every record once with a Nats-Msg-Id (${guarantee})`, async () => {
      const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 2 });
      env.enableCheckpointing(200);
      const source = JetStreamSource.builder().setServers(server.url).setStream('IN').setBounded().build();
      const subject = `out.${guarantee}`;
      env
        .fromSource(source, WatermarkStrategy.noWatermarks(), 'in')
        .map((s: string) => `v${s}`)
        .sinkTo(JetStreamSink.builder<string>().setServers(server.url).setStream('OUT').setSubject(subject).setMaxPendingAcks(64).setDeliveryGuarantee(guarantee).build());
      await env.execute(`sink ${guarantee}`);
      const { values, ids } = await stored(subject);
      expect(values.length).toBe(COUNT);
      expect(new Set(values).size).toBe(COUNT);
      expect(new Set(ids).size).toBe(COUNT);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]+:\d+:[01]:\d+$/);

      // A restore publishes the same ids again: the server drops them all.
      const js = jetstream(nc);
      let duplicates = 0;
      for (let i = 0; i < 50; i++) if ((await js.publish(subject, values[i]!, { msgID: ids[i]! })).duplicate) duplicates++;
      expect(duplicates).toBe(50);
      expect((await stored(subject)).values.length).toBe(COUNT);
    }, 60_000);
  }

  it('fails with one line when its stream does not exist or no stream takes its subject', async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 1 });
    env.fromElements('a').sinkTo(JetStreamSink.builder<string>().setServers(server.url).setStream('MISSING').setSubject('x').build());
    const message = await env.execute('missing').then(
      () => 'no error',
      (err: Error) => err.message,
    );
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`JetStream stream "MISSING" does not exist on NATS at ${server.url}`);

    const env2 = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 1 });
    env2.fromElements('a').sinkTo(JetStreamSink.builder<string>().setServers(server.url).setSubject('nowhere.x').setDeliveryGuarantee('AT_LEAST_ONCE').build());
    const noStream = await env2.execute('no stream').then(
      () => 'no error',
      (err: Error) => err.message,
    );
    expect(noStream.split('\n')).toHaveLength(1);
    expect(noStream).toContain(`no JetStream stream takes subject "nowhere.x" on NATS at ${server.url}`);
  }, 60_000);
});
