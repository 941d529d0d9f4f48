import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { GRPC_OPTIONS } from '../../src/core/proto.js';
import { NetworkEnvironment, type NetworkEnvironmentOptions } from '../../src/network/network-environment.js';
import {
  ConsumerDisconnectedError,
  DataConnectionError,
  PartitionNotFoundError,
  ProducerFailedError,
} from '../../src/network/network-errors.js';
import { resultPartitionId, type InputChannelDescriptor, type InputGate } from '../../src/network/shuffle-types.js';
import { NO_TIMESTAMP, type RecordBatch } from '../../src/common/stream-element.js';

interface Node {
  env: NetworkEnvironment;
  server: grpc.Server;
  address: string;
  id: string;
}

const nodes: Node[] = [];

async function startNode(id: string, options: Partial<NetworkEnvironmentOptions> = {}): Promise<Node> {
  const env = new NetworkEnvironment({ taskManagerId: id, logger: silentLogger(), ...options });
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

function channel(producer: Node, partitionId: string, subpartition = 0): InputChannelDescriptor {
  return { partitionId, subpartition, producerTaskManagerId: producer.id, producerAddress: producer.address };
}

/** Polls everything until the gate fails; returns the number of records read and the error. */
async function readUntilFailure(gate: InputGate): Promise<{ records: number; error: unknown }> {
  let records = 0;
  for (;;) {
    const next = gate.pollNext();
    if (next !== undefined) {
      if (next.item.kind === 'records') records += next.item.values.length;
      continue;
    }
    if (gate.isFinished()) return { records, error: undefined };
    try {
      await gate.whenAvailable();
    } catch (error) {
      return { records, error };
    }
  }
}

describe('remote channel failures', () => {
  it('serves a subscription that arrives before the producer registered its partition', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const gate = b.env.createInputGate([channel(a, id)]);
    const available = gate.whenAvailable();
    await new Promise((res) => setTimeout(res, 50));
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: 0 });
    p.emitRecord(0, 'hello', 5);
    await available;
    expect(gate.pollNext()!.item).toEqual({ kind: 'records', values: ['hello'], timestamps: [5] });
  });

  it('answers a subscription to a partition that never appears with an error naming it', async () => {
    const a = await startNode('tm-a', { requestTimeoutMs: 100 });
    const b = await startNode('tm-b');
    const id = resultPartitionId('job1', 'edge', 7, 2);
    const gate = b.env.createInputGate([channel(a, id)]);
    const started = Date.now();
    const error = await gate.whenAvailable().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(PartitionNotFoundError);
    expect((error as Error).message).toContain(`result partition ${id} was not registered on TaskManager tm-a within 100 ms`);
    expect((error as Error).message).toContain(`producer TaskManager tm-a at ${a.address}`);
  });

  it('propagates a producer failure to the remote consumer', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = resultPartitionId('job1', 'edge', 1, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: 0 });
    const gate = b.env.createInputGate([channel(a, id)]);
    p.emitRecord(0, 'before', NO_TIMESTAMP);
    await gate.whenAvailable();
    p.release(new Error('window function threw: bad input'));
    const { records, error } = await readUntilFailure(gate);
    expect(records).toBe(1);
    expect(error).toBeInstanceOf(ProducerFailedError);
    expect((error as Error).message).toMatch(
      new RegExp(`input channel 0 \\(partition job1/edge/1/0, subpartition 0, producer TaskManager tm-a at ${a.address}\\) failed: .*window function threw: bad input`),
    );
  });

  it('fails the gate promptly when the producer TaskManager dies', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: 1, maxRecordsPerBatch: 10 });
    const gate = b.env.createInputGate([channel(a, id)]);
    for (let i = 0; i < 30; i++) p.emitRecord(0, i, NO_TIMESTAMP);
    await gate.whenAvailable();
    const reading = readUntilFailure(gate);
    await new Promise((res) => setTimeout(res, 20));
    const killedAt = Date.now();
    a.server.forceShutdown();
    const { records, error } = await reading;
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(records).toBe(30);
    expect(error).toBeInstanceOf(DataConnectionError);
    expect((error as Error).message).toMatch(/producer TaskManager tm-a at .*data connection lost/);
  });

  it('tells the producer when its consumer goes away before end of partition', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b', { creditsPerChannel: 1 });
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 });
    const gate = b.env.createInputGate([channel(a, id)]);
    for (let i = 0; i < 10; i++) p.emitRecord(0, i, NO_TIMESTAMP);
    await gate.whenAvailable();
    expect(p.isAvailable()).toBe(false);
    const finishing = p.finish();
    await b.env.close(); // the consumer's TaskManager shuts its data plane down
    const error = await finishing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsumerDisconnectedError);
    expect((error as Error).message).toContain(`subpartition 0 of result partition ${id}`);
    expect(p.isAvailable()).toBe(true); // never stuck on a consumer that is gone
  });

  it('releaseJob cancels remote subscriptions and fails the waiting gate', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b', { creditsPerChannel: 1 });
    const id = resultPartitionId('jobX', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 });
    const gate = b.env.createInputGate([channel(a, id)]);
    p.emitRecord(0, 'x', NO_TIMESTAMP);
    await gate.whenAvailable();
    expect((gate.pollNext()!.item as RecordBatch).values).toEqual(['x']);
    for (let i = 0; i < 5; i++) p.emitRecord(0, i, NO_TIMESTAMP); // more than the credit: end-of-partition waits
    const finishing = p.finish();
    await new Promise((res) => setTimeout(res, 20));
    b.env.releaseJob('jobX', new Error('job cancelled'));
    await expect(gate.whenAvailable()).rejects.toThrow('job cancelled');
    expect(gate.pollNext()).toBeUndefined();
    // The producer side notices the cancelled stream: finishing fails instead of hanging.
    await expect(finishing).rejects.toBeInstanceOf(ConsumerDisconnectedError);
  });
});
