import { afterEach, describe, expect, it } from 'vitest';
import { PipelinedResultPartition } from '../../src/network/result-partition.js';
import type { SubpartitionReader } from '../../src/network/subpartition-queue.js';
import { END_OF_PARTITION, NO_TIMESTAMP, type ChannelItem, type RecordBatch } from '../../src/common/stream-element.js';

/** A consumer that records what it is handed. */
class RecordingReader implements SubpartitionReader {
  items: ChannelItem[] = [];
  failure: Error | null = null;
  deliver(item: ChannelItem, onDelivered?: () => void): void {
    this.items.push(item);
    onDelivered?.();
  }
  fail(error: Error): void {
    this.failure = error;
  }
  batches(): RecordBatch[] {
    return this.items.filter((i): i is RecordBatch => i.kind === 'records');
  }
}

const partitions: PipelinedResultPartition[] = [];
function partition(n: number, bufferTimeoutMs: number, maxRecordsPerBatch = 4, backlog = 2): PipelinedResultPartition {
  const p = new PipelinedResultPartition('job/edge/0/0', n, { bufferTimeoutMs, maxRecordsPerBatch }, backlog, () => {});
  partitions.push(p);
  return p;
}
afterEach(() => {
  for (const p of partitions.splice(0)) p.release();
});

describe('PipelinedResultPartition', () => {
  it('closes a buffer into a batch when it holds maxRecordsPerBatch records', () => {
    const p = partition(1, -1, 3);
    const r = new RecordingReader();
    p.subpartitions[0]!.attachReader(r, 10);
    for (let i = 0; i < 7; i++) p.emitRecord(0, i, NO_TIMESTAMP);
    expect(r.batches().map((b) => b.values)).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(r.batches()[0]!.timestamps).toBeNull();
    p.flushAll();
    expect(r.batches().map((b) => b.values)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('creates the timestamps array only once a record carries a timestamp', () => {
    const p = partition(1, -1, 4);
    const r = new RecordingReader();
    p.subpartitions[0]!.attachReader(r, 10);
    p.emitRecord(0, 'a', NO_TIMESTAMP);
    p.emitRecord(0, 'b', 100);
    p.emitRecord(0, 'c', NO_TIMESTAMP);
    p.emitRecord(0, 'd', 300);
    p.emitRecord(0, 'e', NO_TIMESTAMP);
    p.flushAll();
    expect(r.batches()[0]).toEqual({ kind: 'records', values: ['a', 'b', 'c', 'd'], timestamps: [NO_TIMESTAMP, 100, NO_TIMESTAMP, 300] });
    expect(r.batches()[1]).toEqual({ kind: 'records', values: ['e'], timestamps: null });
  });

  it('flushes non-empty buffers on the buffer timeout', async () => {
    const p = partition(2, 10, 1000);
    const r0 = new RecordingReader();
    const r1 = new RecordingReader();
    p.subpartitions[0]!.attachReader(r0, 10);
    p.subpartitions[1]!.attachReader(r1, 10);
    p.emitRecord(0, 'x', NO_TIMESTAMP);
    expect(r0.items).toEqual([]);
    await new Promise((res) => setTimeout(res, 40));
    expect(r0.batches().map((b) => b.values)).toEqual([['x']]);
    expect(r1.items).toEqual([]);
  });

  it('flushes after every record when the buffer timeout is 0', () => {
    const p = partition(1, 0, 1000);
    const r = new RecordingReader();
    p.subpartitions[0]!.attachReader(r, 10);
    p.emitRecord(0, 'x', 5);
    p.emitRecord(0, 'y', 6);
    expect(r.batches().map((b) => b.values)).toEqual([['x'], ['y']]);
  });

  it('flushes open buffers before an event and keeps order', () => {
    const p = partition(2, -1, 100);
    const r = new RecordingReader();
    p.subpartitions[1]!.attachReader(r, 10);
    p.emitRecord(1, 'a', NO_TIMESTAMP);
    p.broadcastEvent({ kind: 'watermark', timestamp: 9 });
    p.broadcastRecord('b', NO_TIMESTAMP);
    p.flushAll();
    expect(r.items).toEqual([
      { kind: 'records', values: ['a'], timestamps: null },
      { kind: 'watermark', timestamp: 9 },
      { kind: 'records', values: ['b'], timestamps: null },
    ]);
  });

  it('sends batches only against credit, events without, and backpressures beyond the bound', async () => {
    const p = partition(1, -1, 1, 2);
    const r = new RecordingReader();
    const sub = p.subpartitions[0]!;
    sub.attachReader(r, 1);
    p.emitRecord(0, 1, NO_TIMESTAMP); // sent: credit 1 -> 0
    p.emitRecord(0, 2, NO_TIMESTAMP); // queued (1)
    p.emitRecord(0, 3, NO_TIMESTAMP); // queued (2)
    expect(r.batches()).toHaveLength(1);
    expect(p.isAvailable()).toBe(true);
    p.emitRecord(0, 4, NO_TIMESTAMP); // queued (3) > bound 2
    expect(p.isAvailable()).toBe(false);
    const first = p.whenAvailable();
    expect(p.whenAvailable()).toBe(first);
    sub.addCredit(1); // backlog back to 2, within the bound: the producer may go on
    expect(p.isAvailable()).toBe(true);
    await first;
    expect(r.batches().map((b) => b.values)).toEqual([[1], [2]]);
    // An event behind queued batches waits for them; then passes without credit.
    p.broadcastEvent({ kind: 'watermark', timestamp: 1 });
    expect(r.items).toHaveLength(2);
    sub.addCredit(2);
    expect(r.items.map((i) => i.kind)).toEqual(['records', 'records', 'records', 'records', 'watermark']);
  });

  it('finish resolves once end-of-partition reached every consumer', async () => {
    const p = partition(2, -1, 10);
    const r0 = new RecordingReader();
    p.subpartitions[0]!.attachReader(r0, 1);
    p.emitRecord(0, 'a', NO_TIMESTAMP);
    p.emitRecord(1, 'b', NO_TIMESTAMP);
    let done = false;
    const finished = p.finish().then(() => (done = true));
    await new Promise((res) => setTimeout(res, 5));
    expect(done).toBe(false);
    expect(r0.items.at(-1)).toBe(END_OF_PARTITION);
    const r1 = new RecordingReader();
    p.subpartitions[1]!.attachReader(r1, 1);
    await finished;
    expect(r1.items).toEqual([{ kind: 'records', values: ['b'], timestamps: null }, END_OF_PARTITION]);
    expect(() => p.emitRecord(0, 'late', NO_TIMESTAMP)).toThrow(/already finished/);
  });

  it('release fails consumers, drops data, unblocks the producer and rejects finish', async () => {
    const p = partition(1, -1, 1, 0);
    const r = new RecordingReader();
    p.subpartitions[0]!.attachReader(r, 0);
    p.emitRecord(0, 'a', NO_TIMESTAMP);
    expect(p.isAvailable()).toBe(false);
    const waiting = p.whenAvailable();
    const finishing = p.finish();
    p.release(new Error('task failed'));
    await waiting;
    await expect(finishing).rejects.toThrow('task failed');
    expect(r.failure?.message).toBe('task failed');
    expect(r.items).toEqual([]);
    p.emitRecord(0, 'dropped', NO_TIMESTAMP);
    expect(p.isAvailable()).toBe(true);
  });

  it('a consumer that leaves before end-of-partition makes finish fail', async () => {
    const p = partition(1, -1, 10);
    const r = new RecordingReader();
    const sub = p.subpartitions[0]!;
    sub.attachReader(r, 0);
    p.emitRecord(0, 'a', NO_TIMESTAMP);
    const finishing = p.finish();
    sub.detachReader(r);
    await expect(finishing).rejects.toThrow(/disconnected before end of partition/);
  });
});
