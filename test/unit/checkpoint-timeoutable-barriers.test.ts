/**
 * Timeoutable aligned barriers in output queues (FLIP-182): an aligned barrier with a timeout
 * goes out in order, and if it is still queued in an output subpartition when the timeout
 * passes, it jumps to the head as an unaligned barrier and the batches it overtook become the
 * output channel state. A downstream task aligning the checkpoint turns unaligned when such a
 * barrier reaches it, keeping what it overtook in the input channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BarrierAligner } from '../../src/runtime/barrier-aligner.js';
import { sendTimeoutableBarrier, type TimeoutableOutputs } from '../../src/runtime/timeoutable-output-barrier.js';
import { silentLogger } from '../../src/core/logger.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId, type GateItem, type InputGate, type ResultPartition } from '../../src/network/shuffle-types.js';
import { NO_TIMESTAMP, type CheckpointBarrierEvent, type RecordBatch } from '../../src/common/stream-element.js';

const envs: NetworkEnvironment[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

function barrier(checkpointId: number, extra: Partial<CheckpointBarrierEvent> = {}): CheckpointBarrierEvent {
  return { kind: 'barrier', checkpointId, timestamp: Date.now(), savepoint: false, aligned: true, alignedTimeoutMs: 60_000, targetDir: '/tmp/x', ...extra };
}

/** A local partition of one subpartition whose consumer grants 2 credits, batches of 2 records. */
function local(): { p: ResultPartition; gate: InputGate } {
  const e = new NetworkEnvironment({ taskManagerId: 'tm-local', logger: silentLogger(), creditsPerChannel: 2 });
  envs.push(e);
  e.setDataAddress('127.0.0.1:1');
  const id = resultPartitionId('job1', 'e1', 0, 0);
  const p = e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 2 });
  const gate = e.createInputGate([{ partitionId: id, subpartition: 0, producerTaskManagerId: 'tm-local', producerAddress: '127.0.0.1:1' }]);
  return { p, gate };
}

function drain(gate: InputGate): GateItem[] {
  const out: GateItem[] = [];
  let item: GateItem | undefined;
  while ((item = gate.pollNext()) !== undefined) out.push(item);
  return out;
}

/** Reads the gate to `records` values, in order, with every barrier seen. */
async function readAll(gate: InputGate, records: number): Promise<{ values: unknown[]; barriers: CheckpointBarrierEvent[] }> {
  const values: unknown[] = [];
  const barriers: CheckpointBarrierEvent[] = [];
  for (let i = 0; i < 50 && values.length < records; i++) {
    for (const gi of drain(gate)) {
      if (gi.item.kind === 'records') values.push(...gi.item.values);
      else if (gi.item.kind === 'barrier') barriers.push(gi.item);
    }
    await new Promise((r) => setImmediate(r));
  }
  return { values, barriers };
}

describe('timeoutable barriers in output subpartitions', () => {
  it('a barrier still queued when the timeout passes jumps ahead; what it overtook is output channel state', async () => {
    const { p, gate } = local();
    // Two batches reach the consumer (its credit), [4, 5] waits in the subpartition, 6 is in the open buffer.
    for (let i = 0; i < 7; i++) p.emitRecord(0, i, NO_TIMESTAMP);
    await gate.whenAvailable();
    const b = barrier(3);
    let settled: RecordBatch[][] | undefined;
    void p.broadcastTimeoutableBarrier(b).then((s) => (settled = s));
    p.emitRecord(0, 7, NO_TIMESTAMP); // after the barrier: never channel state
    await new Promise((r) => setImmediate(r));
    expect(settled).toBeUndefined(); // stuck behind [4, 5] and [6]
    p.alignedBarrierTimeout(3);
    await new Promise((r) => setImmediate(r));
    expect(settled!.map((sub) => sub.map((x) => x.values))).toEqual([[[4, 5], [6]]]);
    // It also overtook the two batches the input channel holds: the consumer's input channel state.
    const first = gate.pollPriority()!;
    expect(first.item).toEqual({ ...b, unaligned: true });
    expect(first.overtaken!.map((x) => x.values)).toEqual([[0, 1], [2, 3]]);
    // Every record still arrives once, in order, and the barrier only once.
    p.flushAll();
    const rest = await readAll(gate, 8);
    expect(rest.values).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rest.barriers).toEqual([]);
    // A second timeout of the same checkpoint changes nothing.
    p.alignedBarrierTimeout(3);
    expect(gate.pollPriority()).toBeUndefined();
  });

  it('a barrier that went out in order overtook nothing and stays aligned', async () => {
    const { p, gate } = local();
    p.emitRecord(0, 'a', NO_TIMESTAMP);
    const settled = p.broadcastTimeoutableBarrier(barrier(4));
    expect(await settled).toEqual([[]]);
    p.alignedBarrierTimeout(4);
    expect(gate.pollPriority()).toBeUndefined();
    const items = drain(gate).map((gi) => gi.item);
    expect(items).toEqual([{ kind: 'records', values: ['a'], timestamps: null }, barrier(4, { timestamp: (items[1] as CheckpointBarrierEvent).timestamp })]);
  });

  it('a released partition settles its queued barriers with nothing', async () => {
    const { p, gate } = local();
    for (let i = 0; i < 8; i++) p.emitRecord(0, i, NO_TIMESTAMP);
    await gate.whenAvailable();
    const settled = p.broadcastTimeoutableBarrier(barrier(5));
    p.release();
    expect(await settled).toEqual([[]]);
  });
});

describe('the alignment timer of a sent barrier', () => {
  /** Outputs whose barrier settles when `settle` is called or converts on timeout. */
  function outputs(): TimeoutableOutputs & { timedOut: number[]; settle: (s: RecordBatch[][][]) => void } {
    let settle!: (s: RecordBatch[][][]) => void;
    const timedOut: number[] = [];
    const promise = new Promise<RecordBatch[][][]>((r) => (settle = r));
    return {
      timedOut,
      settle,
      broadcastTimeoutableBarrier: () => promise,
      alignedBarrierTimeout(checkpointId: number) {
        timedOut.push(checkpointId);
        settle([[[{ kind: 'records', values: ['x'], timestamps: null }]]]);
      },
    };
  }

  it('fires at trigger time + timeout and completes the output channel state with what was overtaken', async () => {
    const out = outputs();
    const sent = sendTimeoutableBarrier(out, barrier(7, { timestamp: Date.now() - 1_000, alignedTimeoutMs: 1_020 }));
    expect(out.timedOut).toEqual([]);
    const content = await sent.channelState.done;
    expect(out.timedOut).toEqual([7]);
    expect(content.outputs).toEqual([{ output: 0, subpartition: 0, batches: [{ kind: 'records', values: ['x'], timestamps: null }] }]);
  });

  it('a barrier that went out in time needs no timer and leaves the channel state empty', async () => {
    const out = outputs();
    const sent = sendTimeoutableBarrier(out, barrier(8, { alignedTimeoutMs: 50 }));
    out.settle([[[]]]);
    expect(await sent.channelState.done).toEqual({ inputs: [], outputs: [] });
    await new Promise((r) => setTimeout(r, 80));
    expect(out.timedOut).toEqual([]);
  });

  it('an aborted checkpoint stops the timer and drops the channel state', async () => {
    const out = outputs();
    const sent = sendTimeoutableBarrier(out, barrier(9, { alignedTimeoutMs: 30 }));
    sent.cancel('checkpoint 9 was aborted');
    await expect(sent.channelState.done).rejects.toThrow(/aborted/);
    await new Promise((r) => setTimeout(r, 60));
    expect(out.timedOut).toEqual([]);
  });
});

describe('BarrierAligner meeting a barrier that timed out upstream', () => {
  it('turns the aligned checkpoint unaligned at once and releases the blocked channels', () => {
    const blocked = new Set<number>();
    const aligner = new BarrierAligner(3, { block: (c) => blocked.add(c), unblock: (c) => blocked.delete(c) }, () => 100);
    const b: CheckpointBarrierEvent = { kind: 'barrier', checkpointId: 1, timestamp: 100, savepoint: false, aligned: true, alignedTimeoutMs: 1_000, targetDir: '/x' };
    expect(aligner.onBarrier(0, b)).toEqual({});
    expect([...blocked]).toEqual([0]);
    const out = aligner.onBarrier(1, { ...b, unaligned: true });
    expect(out.aligned?.unaligned).toBe(true);
    expect(out.aligned?.barrier.unaligned).toBe(true);
    expect(blocked.size).toBe(0);
    // Channel 2 is in flight until its barrier; 0 and 1 delivered theirs.
    expect(aligner.isPersisting(2)).toBe(true);
    expect(aligner.isPersisting(0)).toBe(false);
    expect(aligner.isPersisting(1)).toBe(false);
    expect(aligner.onBarrier(2, b)).toEqual({ channelStateComplete: 1 });
  });
});
