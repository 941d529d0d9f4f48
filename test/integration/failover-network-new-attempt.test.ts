/**
 * The data plane across a failover, over real gRPC between two NetworkEnvironments: a consumer
 * attempt cancelled while its producer is backpressured (no credit left) frees the producer
 * (no backpressure kept by a consumer that left), and the next attempts of both, subscribing
 * through the same shared gRPC client, start from fresh credit: every batch and every barrier
 * arrives, and credit given back on the new stream keeps the producer going.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { GRPC_OPTIONS } from '../../src/core/proto.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId, type InputChannelDescriptor, type InputGate, type ResultPartition } from '../../src/network/shuffle-types.js';
import { NO_TIMESTAMP, type RecordBatch } from '../../src/common/stream-element.js';

interface Node {
  env: NetworkEnvironment;
  server: grpc.Server;
  address: string;
  id: string;
}

const nodes: Node[] = [];

async function startNode(id: string): Promise<Node> {
  const env = new NetworkEnvironment({ taskManagerId: id, logger: silentLogger(), creditsPerChannel: 1 });
  const server = new grpc.Server(GRPC_OPTIONS);
  env.bindService(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;
  env.setDataAddress(address);
  const node = { env, server, address, id };
  nodes.push(node);
  return node;
}

afterEach(async () => {
  for (const n of nodes.splice(0)) {
    await n.env.close();
    n.server.forceShutdown();
  }
});

function channel(producer: Node, partitionId: string): InputChannelDescriptor {
  return { partitionId, subpartition: 0, producerTaskManagerId: producer.id, producerAddress: producer.address };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Produces `total` one-record batches with a barrier every `every`, as a source task would: only while available. */
async function produce(p: ResultPartition, total: number, every: number): Promise<void> {
  for (let i = 0; i < total; ) {
    if (!p.isAvailable()) {
      await p.whenAvailable();
      continue;
    }
    p.emitRecord(0, i, NO_TIMESTAMP);
    i++;
    if (i % every === 0) p.broadcastEvent({ kind: 'barrier', checkpointId: i / every, timestamp: i, savepoint: false, aligned: true });
  }
  await p.finish();
}

/** Reads a gate to its end, as a task would; returns record values and barrier ids. */
async function consume(gate: InputGate): Promise<{ values: unknown[]; barriers: number[] }> {
  const values: unknown[] = [];
  const barriers: number[] = [];
  for (;;) {
    const g = gate.pollNext();
    if (g !== undefined) {
      if (g.item.kind === 'records') values.push(...(g.item as RecordBatch).values);
      else if (g.item.kind === 'barrier') barriers.push(g.item.checkpointId);
      continue;
    }
    if (gate.isFinished()) return { values, barriers };
    await gate.whenAvailable();
  }
}

describe('data exchange across a failover', () => {
  it('frees a producer whose backpressuring consumer left, and the next attempt gets fresh credit', async () => {
    const producerTm = await startNode('tm-producer');
    const consumerTm = await startNode('tm-consumer');

    // Attempt 0: the consumer never reads, so the producer runs out of credit and backlog.
    const id0 = resultPartitionId('job', 'edge', 0, 0);
    const p0 = producerTm.env.createResultPartition(id0, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 });
    const gate0 = consumerTm.env.createInputGate([channel(producerTm, id0)]);
    let emitted0 = 0;
    // Written while it may; once the subscription attached, credit and backlog run out.
    for (let round = 0; round < 5; round++) {
      while (p0.isAvailable() && emitted0 < 100) p0.emitRecord(0, emitted0++, NO_TIMESTAMP);
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(p0.isAvailable()).toBe(false);
    const freed = p0.whenAvailable();
    const finishing = p0.finish();
    finishing.catch(() => undefined);

    // The consumer is cancelled (failover): the producer must not stay blocked on it.
    gate0.close();
    await freed;
    expect(p0.isAvailable()).toBe(true);
    await expect(finishing).rejects.toThrow(/disconnected/);
    p0.release();

    // Attempt 1 on the same TaskManagers (the same pooled gRPC client), started in either order.
    const id1 = resultPartitionId('job', 'edge', 0, 1);
    const gate1 = consumerTm.env.createInputGate([channel(producerTm, id1)]);
    await new Promise((r) => setTimeout(r, 20));
    const p1 = producerTm.env.createResultPartition(id1, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 });
    const total = 3_000;
    const [, got] = await Promise.all([produce(p1, total, 100), consume(gate1)]);
    expect(got.values).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(got.barriers).toEqual(Array.from({ length: total / 100 }, (_, i) => i + 1));
  });
});
