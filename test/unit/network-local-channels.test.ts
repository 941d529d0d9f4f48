import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { PartitionNotFoundError, ProducerFailedError } from '../../src/network/network-errors.js';
import { resultPartitionId, type GateItem, type InputChannelDescriptor, type InputGate } from '../../src/network/shuffle-types.js';
import { END_OF_PARTITION, NO_TIMESTAMP, type RecordBatch } from '../../src/common/stream-element.js';

const envs: NetworkEnvironment[] = [];
function env(options: { creditsPerChannel?: number; requestTimeoutMs?: number } = {}): NetworkEnvironment {
  const e = new NetworkEnvironment({ taskManagerId: 'tm-local', logger: silentLogger(), ...options });
  e.setDataAddress('127.0.0.1:1');
  envs.push(e);
  return e;
}
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

function local(partitionId: string, subpartition = 0): InputChannelDescriptor {
  return { partitionId, subpartition, producerTaskManagerId: 'tm-local', producerAddress: '127.0.0.1:1' };
}

function drain(gate: InputGate): GateItem[] {
  const out: GateItem[] = [];
  let item: GateItem | undefined;
  while ((item = gate.pollNext()) !== undefined) out.push(item);
  return out;
}

describe('local channels and the input gate', () => {
  it('hands over the very batch objects the producer built', async () => {
    const e = env();
    const id = resultPartitionId('job1', 'e1', 0, 0);
    const p = e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 2 });
    const gate = e.createInputGate([local(id)]);
    const record = { word: 'fluss', count: 1 };
    p.emitRecord(0, record, 42);
    p.emitRecord(0, 'second', NO_TIMESTAMP);
    await gate.whenAvailable();
    const got = gate.pollNext()!;
    const batch = got.item as RecordBatch;
    expect(got.channel).toBe(0);
    expect(batch.values[0]).toBe(record);
    expect(batch.timestamps).toEqual([42, NO_TIMESTAMP]);
  });

  it('round-robins over channels with data and finishes after every end-of-partition', async () => {
    const e = env({ creditsPerChannel: 10 });
    const ids = [0, 1, 2].map((i) => resultPartitionId('job1', 'e1', i, 0));
    const parts = ids.map((id) => e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 }));
    const gate = e.createInputGate(ids.map((id) => local(id)));
    for (let i = 0; i < 3; i++) parts[0]!.emitRecord(0, `a${i}`, NO_TIMESTAMP);
    parts[1]!.emitRecord(0, 'b0', NO_TIMESTAMP);
    for (let i = 0; i < 2; i++) parts[2]!.emitRecord(0, `c${i}`, NO_TIMESTAMP);
    const order = drain(gate).map((g) => (g.item as RecordBatch).values[0]);
    expect(order).toEqual(['a0', 'b0', 'c0', 'a1', 'c1', 'a2']);
    expect(gate.isFinished()).toBe(false);
    await Promise.all(parts.map((p) => p.finish()));
    const rest = drain(gate);
    expect(rest.map((g) => g.item)).toEqual([END_OF_PARTITION, END_OF_PARTITION, END_OF_PARTITION]);
    expect(gate.isFinished()).toBe(true);
  });

  it('skips blocked channels and delivers their items once unblocked', async () => {
    const e = env();
    const ids = [0, 1].map((i) => resultPartitionId('job1', 'e1', i, 0));
    const parts = ids.map((id) => e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 }));
    const gate = e.createInputGate(ids.map((id) => local(id)));
    parts[0]!.broadcastEvent({ kind: 'barrier', checkpointId: 1, timestamp: 1, savepoint: false, aligned: true });
    parts[0]!.emitRecord(0, 'after-barrier', NO_TIMESTAMP);
    expect(gate.pollNext()!.item.kind).toBe('barrier');
    gate.blockChannel(0);
    expect(gate.pollNext()).toBeUndefined();
    let woke = false;
    const waiting = gate.whenAvailable().then(() => (woke = true));
    expect(gate.whenAvailable()).toBe(gate.whenAvailable());
    parts[1]!.emitRecord(0, 'other', NO_TIMESTAMP);
    await waiting;
    expect(woke).toBe(true);
    expect(drain(gate).map((g) => [g.channel, (g.item as RecordBatch).values[0]])).toEqual([[1, 'other']]);
    gate.unblockChannel(0);
    expect(drain(gate).map((g) => [g.channel, (g.item as RecordBatch).values[0]])).toEqual([[0, 'after-barrier']]);
  });

  it('backpressures a producer whose local consumer does not poll, and resumes it on poll', async () => {
    const e = env({ creditsPerChannel: 2 });
    const id = resultPartitionId('job1', 'e1', 0, 0);
    const p = e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 10 });
    const gate = e.createInputGate([local(id)]);
    let emitted = 0;
    while (p.isAvailable() && emitted < 100_000) p.emitRecord(0, emitted++, NO_TIMESTAMP);
    // 2 batches in the consumer's hands (credit) + 3 queued (bound 2, exceeded by the third).
    expect(emitted).toBe(50);
    let resumed = false;
    const waiting = p.whenAvailable().then(() => (resumed = true));
    await new Promise((res) => setTimeout(res, 5));
    expect(resumed).toBe(false);
    expect(gate.pollNext()!.item.kind).toBe('records');
    await waiting;
    expect(p.isAvailable()).toBe(true);
    const values = drain(gate).flatMap((g) => (g.item as RecordBatch).values);
    expect(values[0]).toBe(10);
  });

  it('waits for a partition registered after the gate subscribed', async () => {
    const e = env();
    const id = resultPartitionId('job1', 'e1', 0, 0);
    const gate = e.createInputGate([local(id)]);
    const available = gate.whenAvailable();
    await new Promise((res) => setTimeout(res, 10));
    const p = e.createResultPartition(id, 1, { bufferTimeoutMs: 0 });
    p.emitRecord(0, 'late', NO_TIMESTAMP);
    await available;
    expect((gate.pollNext()!.item as RecordBatch).values).toEqual(['late']);
  });

  it('fails the gate when the partition never shows up', async () => {
    const e = env({ requestTimeoutMs: 30 });
    const gate = e.createInputGate([local(resultPartitionId('job1', 'e1', 5, 0))]);
    const err = await gate.whenAvailable().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PartitionNotFoundError);
    expect((err as Error).message).toMatch(/job1\/e1\/5\/0 was not registered on TaskManager tm-local within 30 ms/);
  });

  it('propagates a producer failure to the consumer, naming the producer', async () => {
    const e = env();
    const id = resultPartitionId('job1', 'e1', 3, 0);
    const p = e.createResultPartition(id, 1, { bufferTimeoutMs: -1 });
    const gate = e.createInputGate([local(id)]);
    const waiting = gate.whenAvailable();
    p.release(new Error('map function threw'));
    const err = await waiting.catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ProducerFailedError);
    expect((err as Error).message).toMatch(/input channel 0 \(partition job1\/e1\/3\/0.*tm-local.*producer failed: map function threw/);
    expect(gate.pollNext()).toBeUndefined();
  });

  it('releaseJob releases partitions and gates of that job only', async () => {
    const e = env();
    const a = resultPartitionId('jobA', 'e', 0, 0);
    const b = resultPartitionId('jobB', 'e', 0, 0);
    const pa = e.createResultPartition(a, 1, { bufferTimeoutMs: -1 });
    const pb = e.createResultPartition(b, 1, { bufferTimeoutMs: -1 });
    const ga = e.createInputGate([local(a)]);
    const gb = e.createInputGate([local(b)]);
    pa.emitRecord(0, 'unflushed', NO_TIMESTAMP);
    const waiting = ga.whenAvailable();
    e.releaseJob('jobA', new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    await expect(pa.finish()).rejects.toThrow('cancelled');
    expect(pa.isAvailable()).toBe(true);
    pb.emitRecord(0, 'still fine', NO_TIMESTAMP);
    pb.flushAll();
    expect((gb.pollNext()!.item as RecordBatch).values).toEqual(['still fine']);
  });

  it('releasePartitions fails subscriptions of the ended attempt only; a newer attempt of the job still connects', async () => {
    const e = env({ requestTimeoutMs: 5_000 });
    const old = resultPartitionId('jobA', 'e', 0, 0);
    const next = resultPartitionId('jobA', 'e', 0, 1);
    // Both consumers subscribe before their producer registered its partition.
    const gOld = e.createInputGate([local(old)]);
    const gNext = e.createInputGate([local(next)]);
    const oldWaiting = gOld.whenAvailable();
    e.releasePartitions([old]);
    await expect(oldWaiting).rejects.toThrow(/partition jobA\/e\/0\/0 was released on TaskManager tm-local: its producer ended/);
    const p = e.createResultPartition(next, 1, { bufferTimeoutMs: -1 });
    p.emitRecord(0, 'from attempt 1', NO_TIMESTAMP);
    p.flushAll();
    await gNext.whenAvailable();
    expect((gNext.pollNext()!.item as RecordBatch).values).toEqual(['from attempt 1']);
  });
});
