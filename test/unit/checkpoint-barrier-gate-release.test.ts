/**
 * Barrier alignment over a real input gate: a channel blocked for checkpoint n is released
 * whatever ends n — alignment, an abort from the coordinator (also of a newer checkpoint), a
 * newer barrier superseding it, or a cancellation marker — so the records queued behind its
 * barrier are delivered and no channel stays blocked across a given-up checkpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BarrierAligner } from '../../src/runtime/barrier-aligner.js';
import { silentLogger } from '../../src/core/logger.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import type { ResultPartition } from '../../src/network/shuffle-types.js';
import { resultPartitionId, type InputGate } from '../../src/network/shuffle-types.js';
import { NO_TIMESTAMP, type CheckpointBarrierEvent, type RecordBatch } from '../../src/common/stream-element.js';

const envs: NetworkEnvironment[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

function barrier(checkpointId: number): CheckpointBarrierEvent {
  return { kind: 'barrier', checkpointId, timestamp: checkpointId, savepoint: false, aligned: true };
}

/** Two local producers into one gate, aligned by a BarrierAligner as a task aligns them. */
function setup(): { parts: ResultPartition[]; gate: InputGate; aligner: BarrierAligner; read: () => string[]; aligned: number[]; aborted: number[] } {
  const e = new NetworkEnvironment({ taskManagerId: 'tm', logger: silentLogger(), creditsPerChannel: 2 });
  e.setDataAddress('127.0.0.1:1');
  envs.push(e);
  const ids = [0, 1].map((i) => resultPartitionId('job', 'edge', i, 0));
  const parts = ids.map((id) => e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 }));
  const gate = e.createInputGate(ids.map((partitionId) => ({ partitionId, subpartition: 0, producerTaskManagerId: 'tm', producerAddress: 'x' })));
  const aligner = new BarrierAligner(2, { block: (c) => gate.blockChannel(c), unblock: (c) => gate.unblockChannel(c) });
  const aligned: number[] = [];
  const aborted: number[] = [];
  const read = (): string[] => {
    const out: string[] = [];
    for (let g = gate.pollNext(); g !== undefined; g = gate.pollNext()) {
      const item = g.item;
      if (item.kind === 'records') out.push(`${g.channel}:${String((item as RecordBatch).values[0])}`);
      else if (item.kind === 'barrier') {
        const o = aligner.onBarrier(g.channel, item);
        if (o.aborted) aborted.push(o.aborted.checkpointId);
        if (o.aligned) aligned.push(o.aligned.barrier.checkpointId);
      } else if (item.kind === 'cancelCheckpoint') {
        const o = aligner.onCancelCheckpoint(item.checkpointId);
        if (o.aborted) aborted.push(o.aborted.checkpointId);
      }
    }
    return out;
  };
  return { parts, gate, aligner, read, aligned, aborted };
}

function emit(p: ResultPartition, value: string): void {
  p.emitRecord(0, value, NO_TIMESTAMP);
}

describe('barrier alignment releases blocked channels of the gate', () => {
  it('on alignment', () => {
    const { parts, read, aligned } = setup();
    parts[0]!.broadcastEvent(barrier(1));
    emit(parts[0]!, 'a');
    expect(read()).toEqual([]);
    parts[1]!.broadcastEvent(barrier(1));
    emit(parts[1]!, 'b');
    expect(read().sort()).toEqual(['0:a', '1:b']);
    expect(aligned).toEqual([1]);
  });

  it('when the coordinator aborts the pending checkpoint, or a newer one', () => {
    const { parts, read, aligner } = setup();
    parts[0]!.broadcastEvent(barrier(1));
    emit(parts[0]!, 'a');
    expect(read()).toEqual([]);
    expect(aligner.abort(1, 'aborted')?.checkpointId).toBe(1);
    expect(read()).toEqual(['0:a']);
    // The late barrier of the aborted checkpoint blocks nothing.
    parts[1]!.broadcastEvent(barrier(1));
    emit(parts[1]!, 'b');
    expect(read()).toEqual(['1:b']);

    parts[1]!.broadcastEvent(barrier(2));
    emit(parts[1]!, 'c');
    expect(read()).toEqual([]);
    // An abort of a newer checkpoint (the coordinator moved on) gives up the older one too.
    expect(aligner.abort(3, 'aborted')?.checkpointId).toBe(2);
    expect(read()).toEqual(['1:c']);
    parts[0]!.broadcastEvent(barrier(3));
    emit(parts[0]!, 'd');
    expect(read()).toEqual(['0:d']);
  });

  it('when a newer barrier supersedes the pending checkpoint', () => {
    const { parts, read, aligned, aborted } = setup();
    parts[0]!.broadcastEvent(barrier(1));
    emit(parts[0]!, 'a');
    expect(read()).toEqual([]);
    parts[1]!.broadcastEvent(barrier(2));
    emit(parts[1]!, 'b');
    // Checkpoint 1 is given up: channel 0 flows again until its barrier 2; channel 1 waits.
    expect(read()).toEqual(['0:a']);
    expect(aborted).toEqual([1]);
    parts[0]!.broadcastEvent(barrier(2));
    expect(read()).toEqual(['1:b']);
    expect(aligned).toEqual([2]);
    emit(parts[0]!, 'c');
    emit(parts[1]!, 'd');
    expect(read().sort()).toEqual(['0:c', '1:d']);
  });

  it('when a cancellation marker arrives on another channel', () => {
    const { parts, read, aborted } = setup();
    parts[0]!.broadcastEvent(barrier(5));
    emit(parts[0]!, 'a');
    expect(read()).toEqual([]);
    parts[1]!.broadcastEvent({ kind: 'cancelCheckpoint', checkpointId: 5 });
    emit(parts[1]!, 'b');
    expect(read().sort()).toEqual(['0:a', '1:b']);
    expect(aborted).toEqual([5]);
  });
});
