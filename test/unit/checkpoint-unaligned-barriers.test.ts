/**
 * The core of unaligned checkpoints, without processes: the barrier handler's unaligned mode
 * and aligned-timeout switch, priority barriers in output subpartitions and input channels, the
 * channel state file and the rescale refusal.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BarrierAligner } from '../../src/runtime/barrier-aligner.js';
import { PendingChannelState } from '../../src/runtime/pending-channel-state.js';
import { readChannelStateFile, writeChannelStateFile } from '../../src/checkpoint/channel-state-file.js';
import { barrierAlignment } from '../../src/checkpoint/checkpoint-alignment.js';
import { checkChannelStateRestorable } from '../../src/checkpoint/channel-state-restore-check.js';
import type { CheckpointMetadata } from '../../src/checkpoint/checkpoint-types.js';
import type { JobGraph } from '../../src/common/job-graph.js';
import { silentLogger } from '../../src/core/logger.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId, type GateItem, type InputGate } from '../../src/network/shuffle-types.js';
import { NO_TIMESTAMP, type CheckpointBarrierEvent, type RecordBatch } from '../../src/common/stream-element.js';

function barrier(checkpointId: number, extra: Partial<CheckpointBarrierEvent> = {}): CheckpointBarrierEvent {
  return { kind: 'barrier', checkpointId, timestamp: 100, savepoint: false, aligned: true, targetDir: '/tmp/x', ...extra };
}

function setup(channels: number) {
  const blocked = new Set<number>();
  let now = 100;
  const aligner = new BarrierAligner(channels, { block: (c) => blocked.add(c), unblock: (c) => blocked.delete(c) }, () => now);
  return { aligner, blocked, advance: (ms: number) => (now += ms) };
}

const batch = (...values: unknown[]): RecordBatch => ({ kind: 'records', values, timestamps: null });

describe('BarrierAligner, unaligned', () => {
  it('snapshots at the first unaligned barrier, blocks nothing, persists channels until their barrier', () => {
    const { aligner, blocked } = setup(3);
    const first = aligner.onBarrier(1, barrier(1, { unaligned: true }));
    expect(first.aligned?.unaligned).toBe(true);
    expect(first.aligned?.barrier.unaligned).toBe(true);
    expect(first.channelStateComplete).toBeUndefined();
    expect(blocked.size).toBe(0);
    expect([0, 1, 2].map((c) => aligner.isPersisting(c))).toEqual([true, false, true]);
    expect(aligner.onBarrier(0, barrier(1, { unaligned: true }))).toEqual({});
    expect(aligner.isPersisting(0)).toBe(false);
    // A finished channel completes the checkpoint like a barrier.
    expect(aligner.onEndOfPartition(2)).toEqual({ channelStateComplete: 1 });
    expect(aligner.isPersisting(2)).toBe(false);
    expect(aligner.pendingCheckpointId).toBeUndefined();
    // Late barriers of a completed checkpoint are ignored.
    expect(aligner.onBarrier(2, barrier(1, { unaligned: true }))).toEqual({});
  });

  it('one channel: snapshot and completion in one outcome', () => {
    const { aligner } = setup(1);
    const out = aligner.onBarrier(0, barrier(4, { unaligned: true }));
    expect(out.aligned?.barrier.checkpointId).toBe(4);
    expect(out.channelStateComplete).toBe(4);
  });

  it('a newer barrier aborts the pending unaligned checkpoint and starts its own', () => {
    const { aligner } = setup(2);
    aligner.onBarrier(0, barrier(1, { unaligned: true }));
    const out = aligner.onBarrier(0, barrier(2, { unaligned: true }));
    expect(out.aborted?.checkpointId).toBe(1);
    expect(out.aligned?.barrier.checkpointId).toBe(2);
    expect(aligner.isPersisting(1)).toBe(true);
    expect(aligner.abort(2, 'x')?.checkpointId).toBe(2);
    expect(aligner.isPersisting(1)).toBe(false);
  });

  it('aligned with a timeout: starts aligned, turns unaligned when the timeout passes, releasing blocked channels', () => {
    const { aligner, blocked, advance } = setup(2);
    const b = barrier(1, { alignedTimeoutMs: 50 });
    expect(aligner.onBarrier(0, b)).toEqual({});
    expect([...blocked]).toEqual([0]);
    expect(aligner.alignmentDeadline).toBe(150);
    advance(20);
    expect(aligner.checkTimeout()).toEqual({});
    advance(40);
    const out = aligner.checkTimeout();
    expect(out.aligned?.unaligned).toBe(true);
    expect(out.aligned?.barrier.unaligned).toBe(true);
    expect(out.aligned?.alignmentMs).toBe(60);
    expect(blocked.size).toBe(0);
    expect(aligner.isPersisting(1)).toBe(true);
    expect(aligner.alignmentDeadline).toBeUndefined();
    expect(aligner.onBarrier(1, b)).toEqual({ channelStateComplete: 1 });
  });

  it('aligned with a timeout already passed at the first barrier: unaligned at once', () => {
    const { aligner, blocked, advance } = setup(2);
    advance(100);
    const out = aligner.onBarrier(1, barrier(1, { alignedTimeoutMs: 50 }));
    expect(out.aligned?.unaligned).toBe(true);
    expect(blocked.size).toBe(0);
  });

  it('aligned barriers without timeout stay aligned', () => {
    const { aligner, advance } = setup(2);
    aligner.onBarrier(0, barrier(1));
    advance(10_000);
    expect(aligner.checkTimeout()).toEqual({});
    expect(aligner.onBarrier(1, barrier(1)).aligned?.unaligned).toBe(false);
  });
});

describe('checkpoint alignment of requests', () => {
  const settings = { intervalMs: 1, mode: 'EXACTLY_ONCE' as const, timeoutMs: 1, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, retention: 'DELETE_ON_CANCELLATION' as const };
  it('unaligned only for exactly-once checkpoints, never savepoints', () => {
    expect(barrierAlignment({ ...settings, unaligned: true }, false)).toEqual({ aligned: true, unaligned: true });
    expect(barrierAlignment({ ...settings, unaligned: true }, true)).toEqual({ aligned: true });
    expect(barrierAlignment({ ...settings, unaligned: true, mode: 'AT_LEAST_ONCE' }, false)).toEqual({ aligned: false });
    expect(barrierAlignment({ ...settings, unaligned: true, alignedCheckpointTimeoutMs: 30 }, false)).toEqual({ aligned: true, alignedTimeoutMs: 30 });
    expect(barrierAlignment(settings, false)).toEqual({ aligned: true });
  });
});

const envs: NetworkEnvironment[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

function drain(gate: InputGate): GateItem[] {
  const out: GateItem[] = [];
  let item: GateItem | undefined;
  while ((item = gate.pollNext()) !== undefined) out.push(item);
  return out;
}

describe('priority barriers in the network', () => {
  it('overtake the queued output and the received input; each side reports what it overtook', async () => {
    const e = new NetworkEnvironment({ taskManagerId: 'tm-local', logger: silentLogger(), creditsPerChannel: 2 });
    envs.push(e);
    e.setDataAddress('127.0.0.1:1');
    const id = resultPartitionId('job1', 'e1', 0, 0);
    const p = e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 2 });
    const gate = e.createInputGate([{ partitionId: id, subpartition: 0, producerTaskManagerId: 'tm-local', producerAddress: '127.0.0.1:1' }]);
    // Six records: two batches reach the consumer (its credit), one waits in the subpartition, one record is in the open buffer.
    for (let i = 0; i < 7; i++) p.emitRecord(0, i, NO_TIMESTAMP);
    await gate.whenAvailable();
    const b = barrier(3, { unaligned: true });
    const output = p.broadcastPriorityEvent(b);
    expect(output[0]!.map((x) => x.values)).toEqual([[4, 5], [6]]);
    // The barrier went ahead of the two received batches too.
    const first = gate.pollPriority()!;
    expect(first.item).toBe(b);
    expect(first.overtaken!.map((x) => x.values)).toEqual([[0, 1], [2, 3]]);
    expect(gate.pollPriority()).toBeUndefined();
    // Everything still arrives, in order, behind it.
    const rest: unknown[] = [];
    for (let i = 0; i < 10 && rest.length < 7; i++) {
      for (const gi of drain(gate)) if (gi.item.kind === 'records') rest.push(...gi.item.values);
      await new Promise((r) => setImmediate(r));
    }
    expect(rest).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('channel state', () => {
  it('collects input and output batches and round-trips through its file', async () => {
    const state = new PendingChannelState(7);
    state.addOutputs([[[batch('o1')], []], [[], [batch('o2', 'o3')]]]);
    state.addInputRemainder(1, { kind: 'records', values: ['x', 'a', 'b'], timestamps: [1, 2, 3] }, 1);
    state.addInput(0, batch('c'));
    state.addInput(1, batch('d'));
    state.complete();
    const content = await state.done;
    const dir = mkdtempSync(join(tmpdir(), 'fluss-channel-state-'));
    const handle = await writeChannelStateFile(dir, 'op-0-channel', content);
    const back = await readChannelStateFile(dir, handle);
    expect(back.inputs).toEqual([
      { channel: 1, batches: [{ kind: 'records', values: ['a', 'b'], timestamps: [2, 3] }, batch('d')] },
      { channel: 0, batches: [batch('c')] },
    ]);
    expect(back.outputs).toEqual([
      { output: 0, subpartition: 0, batches: [batch('o1')] },
      { output: 1, subpartition: 1, batches: [batch('o2', 'o3')] },
    ]);
  });

  it('an aborted checkpoint drops its channel state', async () => {
    const state = new PendingChannelState(2);
    state.addInput(0, batch(1));
    state.abort('superseded');
    await expect(state.done).rejects.toThrow(/channel state of checkpoint 2 was dropped: superseded/);
  });

  it('is refused in one line when the channels changed (parallelism), accepted when they did not', () => {
    const metadata = {
      version: 1, jobId: 'j', checkpointId: 1, timestamp: 1, savepoint: false,
      operators: [
        { operatorId: 'src', name: 'Source', parallelism: 2, maxParallelism: 128, subtasks: [{ operatorId: 'src', subtaskIndex: 0 }] },
        { operatorId: 'map', name: 'Map', parallelism: 2, maxParallelism: 128, subtasks: [{ operatorId: 'map', subtaskIndex: 0, channelState: { path: 'map-0-channel', size: 5, checksum: 'x' } }] },
      ],
    } as CheckpointMetadata;
    const graph = (srcP: number, mapP: number) =>
      ({
        vertices: [
          { id: 'src', name: 'Source', parallelism: srcP, operators: [{ operatorId: 'src' }], inputs: [], outputs: [{ targetVertexId: 'map' }] },
          { id: 'map', name: 'Map', parallelism: mapP, operators: [{ operatorId: 'map' }], inputs: [{ sourceVertexId: 'src' }], outputs: [] },
        ],
      }) as unknown as JobGraph;
    const op = metadata.operators[1]!;
    expect(() => checkChannelStateRestorable(op, metadata, graph(2, 2), '/c')).not.toThrow();
    expect(() => checkChannelStateRestorable(op, metadata, graph(2, 3), '/c')).toThrow(/unaligned checkpoint .* its parallelism changed from 2 to 3/);
    expect(() => checkChannelStateRestorable(op, metadata, graph(1, 2), '/c')).toThrow(/parallelism of Source, connected to it, changed from 2 to 1/);
  });
});
