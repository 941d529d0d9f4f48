/**
 * The JetStream source against a real nats-server (started on a free port): a bounded read at
 * parallelism 2 returns every message of every subject exactly once and in stream order per
 * subject, with the server timestamp as event time; a message the deserializer rejects fails the
 * job with one line naming it (policy `fail`) or is dropped and counted (`skip`); a missing
 * stream and an unreachable server fail with one line naming them.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamSource, ProcessFunction, StreamExecutionEnvironment, WatermarkStrategy } from '../../src/index.js';
import type { Collector } from '../../src/index.js';
import { numRecordsDropped } from '../../src/connectors/poison-records.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';

const SUBJECTS = 5;
const COUNT = 3_000;

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
  await jsm.streams.add({ name: 'POISON', subjects: ['poison.>'] });
  const js = jetstream(nc);
  const acks: Promise<unknown>[] = [];
  for (let i = 0; i < COUNT; i++) acks.push(js.publish(`events.${i % SUBJECTS}`, JSON.stringify({ i })));
  await Promise.all(acks);
  for (const body of ['{"i":1}', 'not json', '{"i":3}']) await js.publish('poison.a', body);
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

/** Emits "subject i timestampMatches". */
class Tag extends ProcessFunction<{ s: string; i: number; ts: number }, string> {
  processElement(v: { s: string; i: number; ts: number }, ctx: { timestamp(): number | null }, out: Collector<string>): void {
    out.collect(`${v.s} ${v.i} ${ctx.timestamp() === v.ts}`);
  }
}

describe('JetStreamSource', () => {
  it('reads every message once, in order per subject, with the server timestamp as event time (bounded, p=2)', async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 2 });
    const source = JetStreamSource.builder()
      .setServers(server.url)
      .setStream('EVENTS')
      .setBounded()
      .setFetchBatchSize(100)
      .setMaxBufferedMessages(300)
      .setDeserializer((r) => ({ s: r.subject, i: r.json<{ i: number }>().i, ts: r.timestamp }))
      .build();
    const got = await env.fromSource(source, WatermarkStrategy.forMonotonousTimestamps(), 'events').process(new Tag()).executeAndCollect();
    expect(got.length).toBe(COUNT);
    const perSubject = new Map<string, number[]>();
    for (const line of got) {
      const [s, i, tsOk] = line.split(' ');
      expect(tsOk).toBe('true');
      const list = perSubject.get(s!) ?? [];
      list.push(Number(i));
      perSubject.set(s!, list);
    }
    expect(perSubject.size).toBe(SUBJECTS);
    for (const [s, list] of perSubject) {
      const k = Number(s!.split('.')[1]);
      expect(list).toEqual(Array.from({ length: COUNT / SUBJECTS }, (_, j) => j * SUBJECTS + k));
    }
  }, 60_000);

  it('fails on a message the deserializer rejects with one line naming it, or skips and counts it', async () => {
    const build = (policy: 'fail' | 'skip') =>
      JetStreamSource.builder()
        .setServers(server.url)
        .setStream('POISON')
        .setBounded()
        .setPoisonPolicy(policy)
        .setDeserializer((r) => r.json<{ i: number }>().i)
        .build();
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 1 });
    const failed = await env.fromSource(build('fail'), WatermarkStrategy.noWatermarks(), 'poison-fail').executeAndCollect().then(
      () => 'no error',
      (err: Error) => err.message,
    );
    expect(failed.split('\n')).toHaveLength(1);
    expect(failed).toContain('message 2 of subject poison.a in stream POISON ("not json")');
    const env2 = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 1 });
    const got = await env2.fromSource(build('skip'), WatermarkStrategy.noWatermarks(), 'poison-skip').executeAndCollect();
    expect(got).toEqual([1, 3]);
    expect(numRecordsDropped('Source: poison-skip')).toBe(1);
  }, 60_000);

  it('fails with one line on a missing stream and on an unreachable server', async () => {
    const run = async (servers: string, stream: string): Promise<string> => {
      const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 1 });
      const source = JetStreamSource.builder().setServers(servers).setStream(stream).setBounded().build();
      return env.fromSource(source, WatermarkStrategy.noWatermarks(), 'src').executeAndCollect().then(
        () => 'no error',
        (err: Error) => err.message,
      );
    };
    const missing = await run(server.url, 'NOPE');
    expect(missing.split('\n')).toHaveLength(1);
    expect(missing).toContain(`JetStream stream "NOPE" does not exist on NATS at ${server.url}`);
    const unreachable = await run('nats://127.0.0.1:1', 'EVENTS');
    expect(unreachable.split('\n')).toHaveLength(1);
    expect(unreachable).toContain('cannot connect to NATS at nats://127.0.0.1:1');
  }, 60_000);
});
