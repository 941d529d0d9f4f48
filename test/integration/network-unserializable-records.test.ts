/**
 * Records that cannot be serialised between two TaskManagers' network environments over real
 * gRPC. However the failing batch is encoded (when the producer fills a buffer, from the flush
 * timer, or when a consumer's credit arrives), the producing partition fails with one line
 * naming the operator, the edge and the reason, its writes and waits throw it, the consumer's
 * channel fails with the same reason, and nothing is thrown into the event loop. Oversized
 * batches are split to fit the frame limit; a single oversized record fails the producer.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { GRPC_OPTIONS } from '../../src/core/proto.js';
import { NetworkEnvironment, type NetworkEnvironmentOptions } from '../../src/network/network-environment.js';
import { RecordSerializationError } from '../../src/network/record-serialization.js';
import { resultPartitionId, type GateItem, type InputChannelDescriptor, type InputGate } from '../../src/network/shuffle-types.js';
import { NO_TIMESTAMP, type RecordBatch } from '../../src/common/stream-element.js';

interface Node {
  env: NetworkEnvironment;
  server: grpc.Server;
  address: string;
  id: string;
}

const nodes: Node[] = [];
const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => void uncaught.push(err);

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
  process.off('uncaughtException', onUncaught);
  for (const n of nodes.splice(0)) {
    await n.env.close();
    n.server.forceShutdown();
  }
  expect(uncaught.splice(0)).toEqual([]);
});

function channel(producer: Node, partitionId: string, subpartition: number): InputChannelDescriptor {
  return { partitionId, subpartition, producerTaskManagerId: producer.id, producerAddress: producer.address };
}

/** Reads a gate until it ends or fails; resolves with what arrived and the failure. */
async function readAll(gate: InputGate): Promise<{ items: GateItem[]; error?: Error }> {
  const items: GateItem[] = [];
  try {
    for (;;) {
      const next = gate.pollNext();
      if (next !== undefined) {
        items.push(next);
        continue;
      }
      if (gate.isFinished()) return { items };
      await gate.whenAvailable();
    }
  } catch (error) {
    return { items, error: error as Error };
  }
}

function circular(id: number): Record<string, unknown> {
  const o: Record<string, unknown> = { id };
  o['self'] = o;
  return o;
}

const LINE = /^Enrich failed: a record cannot be sent over the network on edge Enrich -> HASH -> Count: circular reference at record\.self$/;

describe('unserialisable records between TaskManagers', () => {
  it('fails the producer and the consumer when the flush timer encodes the batch', async () => {
    process.on('uncaughtException', onUncaught);
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: 5, maxRecordsPerBatch: 100 });
    p.describeProducer('Enrich', 'Enrich -> HASH -> Count');
    const reading = readAll(b.env.createInputGate([channel(a, id, 0)]));
    p.emitRecord(0, { id: 0 }, NO_TIMESTAMP);
    p.emitRecord(0, circular(1), NO_TIMESTAMP);
    const { error } = await reading;
    expect(error?.message).toMatch(/Enrich failed: a record cannot be sent over the network on edge Enrich -> HASH -> Count: circular reference at record\.self/);
    expect(error?.message).not.toContain('\n');
    // The producer learns it on its next write, wait, or at finish.
    expect(() => p.emitRecord(0, { id: 2 }, NO_TIMESTAMP)).toThrow(RecordSerializationError);
    expect(() => p.emitRecord(0, { id: 2 }, NO_TIMESTAMP)).toThrow(LINE);
    expect(p.isAvailable()).toBe(false);
    await expect(p.whenAvailable()).rejects.toThrow(LINE);
    await expect(p.finish()).rejects.toThrow(LINE);
  });

  it('fails the producer from the write that fills the buffer', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 2 });
    p.describeProducer('Enrich', 'Enrich -> HASH -> Count');
    const reading = readAll(b.env.createInputGate([channel(a, id, 0)]));
    // Write until the consumer subscribed and a batch was sent: the failing write throws.
    let thrown: unknown;
    for (let i = 0; i < 10_000 && thrown === undefined; i++) {
      try {
        p.emitRecord(0, i % 2 === 1 ? circular(i) : { id: i }, NO_TIMESTAMP);
      } catch (err) {
        thrown = err;
      }
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 1));
    }
    expect(thrown).toBeInstanceOf(RecordSerializationError);
    expect((thrown as Error).message).toMatch(LINE);
    expect((await reading).error?.message).toMatch(/circular reference at record\.self/);
  });

  it('fails the producer, not the process, when a credit message sends the batch', async () => {
    process.on('uncaughtException', onUncaught);
    const a = await startNode('tm-a');
    const b = await startNode('tm-b', { creditsPerChannel: 1 });
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 });
    p.describeProducer('Enrich', 'Enrich -> HASH -> Count');
    const gate = b.env.createInputGate([channel(a, id, 0)], { creditsPerChannel: 1 });
    // Three batches queue up; the consumer's single credit takes the first only.
    p.emitRecord(0, { id: 0 }, NO_TIMESTAMP);
    p.emitRecord(0, { id: 1 }, NO_TIMESTAMP);
    p.emitRecord(0, circular(2), NO_TIMESTAMP);
    // Polling returns credit over gRPC: the producer encodes the next batches in that callback.
    const { items, error } = await readAll(gate);
    expect(items.filter((g) => g.item.kind === 'records').flatMap((g) => (g.item as RecordBatch).values)).toEqual([{ id: 0 }, { id: 1 }]);
    expect(error?.message).toMatch(/circular reference at record\.self/);
    await expect(p.whenAvailable()).rejects.toThrow(LINE);
  });

  it('carries BigInts, splits batches over the frame limit, and refuses a record over it', async () => {
    const a = await startNode('tm-a', { maxFrameBytes: 16 * 1024 });
    const b = await startNode('tm-b', { creditsPerChannel: 2 });
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 100 });
    p.describeProducer('Enrich', 'Enrich -> HASH -> Count');
    const reading = readAll(b.env.createInputGate([channel(a, id, 0)], { creditsPerChannel: 2 }));
    const sent = Array.from({ length: 500 }, (_, i) => ({ i, big: 10n ** 30n + BigInt(i), pad: 'p'.repeat(1000) }));
    for (const r of sent) {
      p.emitRecord(0, r, NO_TIMESTAMP);
      if (!p.isAvailable()) await p.whenAvailable();
    }
    p.flushAll();
    // A record alone over the frame limit fails the producer; what came before arrived.
    p.emitRecord(0, { huge: 'h'.repeat(64 * 1024) }, NO_TIMESTAMP);
    let failure: unknown;
    // It goes out once the consumer's credit allows: poll the producer until it learns.
    for (let deadline = Date.now() + 20_000; failure === undefined && Date.now() < deadline; ) {
      try {
        p.flushAll();
        await p.whenAvailable();
        await new Promise((r) => setTimeout(r, 10));
      } catch (err) {
        failure = err;
      }
    }
    expect((failure as Error).message).toMatch(
      /^Enrich failed: a record cannot be sent over the network on edge Enrich -> HASH -> Count: a record of \d+ bytes encoded exceeds the network frame limit of 16384 bytes$/,
    );
    const { items, error } = await reading;
    const got = items.filter((g) => g.item.kind === 'records').flatMap((g) => (g.item as RecordBatch).values);
    expect(got).toEqual(sent);
    // 100-record batches of ~100 KB went out as frames of at most 16 KB.
    expect(Math.max(...items.filter((g) => g.item.kind === 'records').map((g) => (g.item as RecordBatch).values.length))).toBeLessThan(16);
    expect(error?.message).toMatch(/exceeds the network frame limit/);
  });
});
