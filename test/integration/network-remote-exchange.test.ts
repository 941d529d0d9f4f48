import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { GRPC_OPTIONS } from '../../src/core/proto.js';
import { NetworkEnvironment, type NetworkEnvironmentOptions } from '../../src/network/network-environment.js';
import { resultPartitionId, type GateItem, type InputChannelDescriptor, type InputGate } from '../../src/network/shuffle-types.js';
import { END_OF_PARTITION, NO_TIMESTAMP, type ChannelItem, type RecordBatch } from '../../src/common/stream-element.js';

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

function channel(producer: Node, partitionId: string, subpartition: number): InputChannelDescriptor {
  return { partitionId, subpartition, producerTaskManagerId: producer.id, producerAddress: producer.address };
}

/** Reads a gate to its end, as a task would: poll, and wait only when nothing is ready. */
async function readAll(gate: InputGate): Promise<GateItem[]> {
  const out: GateItem[] = [];
  for (;;) {
    const next = gate.pollNext();
    if (next !== undefined) {
      out.push(next);
      continue;
    }
    if (gate.isFinished()) return out;
    await gate.whenAvailable();
  }
}

function recordsOf(items: GateItem[], channel?: number): unknown[] {
  return items
    .filter((g) => g.item.kind === 'records' && (channel === undefined || g.channel === channel))
    .flatMap((g) => (g.item as RecordBatch).values);
}

describe('remote channels over gRPC', () => {
  it('keeps order per channel with events interleaved between batches', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: 5, maxRecordsPerBatch: 100 });
    const gate = b.env.createInputGate([channel(a, id, 0)]);
    const reading = readAll(gate);
    const otherKinds: ChannelItem['kind'][] = [];
    for (let i = 0; i < 5000; i++) {
      p.emitRecord(0, { n: i, word: `w${i % 7}` }, i % 3 === 0 ? i : NO_TIMESTAMP);
      if (i % 1000 === 999) p.broadcastEvent({ kind: 'watermark', timestamp: i });
      if (i === 2500) p.broadcastEvent({ kind: 'barrier', checkpointId: 1, timestamp: 77, savepoint: false, aligned: true });
      if (!p.isAvailable()) await p.whenAvailable();
    }
    await p.finish();
    const items = await reading;
    const values = recordsOf(items) as { n: number; word: string }[];
    expect(values.map((v) => v.n)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(values[12]).toEqual({ n: 12, word: 'w5' });
    const ts = items.filter((g) => g.item.kind === 'records').flatMap((g) => (g.item as RecordBatch).timestamps ?? []);
    expect(ts.filter((t) => t !== NO_TIMESTAMP)).toEqual(Array.from({ length: 1667 }, (_, i) => i * 3));
    // Every event sits right after the records emitted before it.
    let seen = 0;
    for (const g of items) {
      if (g.item.kind === 'records') seen += g.item.values.length;
      else if (g.item.kind === 'watermark') expect(seen).toBe(g.item.timestamp + 1);
      else if (g.item.kind === 'barrier') expect(seen).toBe(2501);
      else otherKinds.push(g.item.kind);
    }
    expect(otherKinds).toEqual(['endOfPartition']);
    expect(items.at(-1)!.item).toEqual(END_OF_PARTITION);
    gate.close();
  });

  it('moves many channels between two TaskManagers, local and remote mixed', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const producers = 6;
    const consumers = 4;
    // Producers 0..2 on A, 3..5 on B; consumers all on B: half their channels are local.
    const parts = Array.from({ length: producers }, (_, i) => {
      const node = i < 3 ? a : b;
      const id = resultPartitionId('job1', 'edge', i, 0);
      return { node, id, partition: node.env.createResultPartition(id, consumers, { bufferTimeoutMs: 2, maxRecordsPerBatch: 64 }) };
    });
    const gates = Array.from({ length: consumers }, (_, c) =>
      b.env.createInputGate(parts.map((p) => channel(p.node, p.id, c))),
    );
    const reads = gates.map((g) => readAll(g));
    await Promise.all(
      parts.map(async ({ partition }, pi) => {
        for (let i = 0; i < 4000; i++) {
          partition.emitRecord(i % consumers, [pi, i], NO_TIMESTAMP);
          if (!partition.isAvailable()) await partition.whenAvailable();
        }
        await partition.finish();
      }),
    );
    const results = await Promise.all(reads);
    results.forEach((items, c) => {
      for (let pi = 0; pi < producers; pi++) {
        const got = recordsOf(items, pi) as [number, number][];
        expect(got.length).toBe(1000);
        expect(got.every(([p, i], k) => p === pi && i === k * consumers + c)).toBe(true);
      }
      expect(gates[c]!.isFinished()).toBe(true);
    });
  });

  it('stops a producer whose remote consumer does not poll, with bounded memory, and resumes it', async () => {
    const a = await startNode('tm-a', { creditsPerChannel: 2 });
    const b = await startNode('tm-b', { creditsPerChannel: 2 });
    const id = resultPartitionId('job1', 'edge', 0, 0);
    const p = a.env.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 100 });
    const gate = b.env.createInputGate([channel(a, id, 0)]);
    let emitted = 0;
    const produce = async (limit: number): Promise<void> => {
      while (emitted < limit) {
        if (!p.isAvailable()) return;
        p.emitRecord(0, `r${emitted++}`, NO_TIMESTAMP);
      }
    };
    for (let round = 0; round < 20; round++) {
      await produce(100_000);
      await new Promise((res) => setTimeout(res, 10));
    }
    // 2 batches of credit at the consumer + 3 queued at the producer, never more.
    expect(p.isAvailable()).toBe(false);
    expect(emitted).toBe(500);
    // Polling gives credit back; the producer resumes and the whole stream arrives.
    const reading = readAll(gate);
    while (emitted < 20_000) {
      await p.whenAvailable();
      await produce(20_000);
    }
    await p.finish();
    const values = recordsOf(await reading);
    expect(values.length).toBe(20_000);
    expect(values[19_999]).toBe('r19999');
  });
});
