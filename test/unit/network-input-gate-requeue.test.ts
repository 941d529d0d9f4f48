/**
 * The input gate's queue of channels with data stays exact when taking a batch makes a local
 * producer deliver the channel's next item synchronously (its credit came back): the channel is
 * queued once, so whenAvailable() resolves only when an item can really be polled. A gate that
 * counted such a channel twice resolved whenAvailable() with nothing to poll, and the task loop
 * awaiting it spun on resolved promises without ever yielding to the event loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { NetworkEnvironment } from '../../src/network/network-environment.js';
import { resultPartitionId, type GateItem, type InputChannelDescriptor, type InputGate } from '../../src/network/shuffle-types.js';
import { NO_TIMESTAMP, type CheckpointBarrierEvent, type RecordBatch } from '../../src/common/stream-element.js';

const envs: NetworkEnvironment[] = [];
function env(creditsPerChannel: number): NetworkEnvironment {
  const e = new NetworkEnvironment({ taskManagerId: 'tm-local', logger: silentLogger(), creditsPerChannel });
  e.setDataAddress('127.0.0.1:1');
  envs.push(e);
  return e;
}
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

function local(partitionId: string): InputChannelDescriptor {
  return { partitionId, subpartition: 0, producerTaskManagerId: 'tm-local', producerAddress: '127.0.0.1:1' };
}

function barrier(checkpointId: number): CheckpointBarrierEvent {
  return { kind: 'barrier', checkpointId, timestamp: checkpointId, savepoint: false, aligned: true };
}

/** Whether `gate.whenAvailable()` settles within a turn of the event loop. */
async function settlesSoon(gate: InputGate): Promise<boolean> {
  let settled = false;
  gate.whenAvailable().then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setImmediate(r));
  return settled;
}

function valueOf(g: GateItem): unknown {
  return g.item.kind === 'records' ? (g.item as RecordBatch).values[0] : g.item.kind;
}

describe('input gate with a single credit per local channel', () => {
  it('queues a channel refilled while it is polled only once', async () => {
    const e = env(1);
    const ids = [0, 1].map((i) => resultPartitionId('job1', 'e1', i, 0));
    const parts = ids.map((id) => e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 }));
    const gate = e.createInputGate(ids.map(local));
    for (let i = 0; i < 3; i++) parts[0]!.emitRecord(0, i, NO_TIMESTAMP);
    parts[0]!.broadcastEvent(barrier(1));
    parts[0]!.emitRecord(0, 'after', NO_TIMESTAMP);

    const seen: unknown[] = [];
    let g: GateItem | undefined;
    while ((g = gate.pollNext()) !== undefined) {
      seen.push(valueOf(g));
      // Barrier alignment holds the channel back, as the task's aligner does.
      if (g.item.kind === 'barrier') gate.blockChannel(0);
    }
    expect(seen).toEqual([0, 1, 2, 'barrier']);
    // Nothing can be polled: the gate must not claim otherwise.
    expect(await settlesSoon(gate)).toBe(false);

    gate.unblockChannel(0);
    expect(await settlesSoon(gate)).toBe(true);
    expect(valueOf(gate.pollNext()!)).toBe('after');
    expect(gate.pollNext()).toBeUndefined();
    expect(await settlesSoon(gate)).toBe(false);

    // New data on either channel wakes the gate again.
    parts[1]!.emitRecord(0, 'other', NO_TIMESTAMP);
    expect(await settlesSoon(gate)).toBe(true);
    expect(valueOf(gate.pollNext()!)).toBe('other');
  });

  it('counts no phantom data after a backpressured producer streamed batches and barriers through it', async () => {
    const e = env(1);
    const id = resultPartitionId('job1', 'e1', 0, 0);
    const p = e.createResultPartition(id, 1, { bufferTimeoutMs: -1, maxRecordsPerBatch: 1 });
    const gate = e.createInputGate([local(id)]);
    const total = 200;
    let emitted = 0;
    const received: unknown[] = [];
    while (received.length < total) {
      // The producer writes while it may (credit plus the backlog bound), a barrier every 50.
      while (emitted < total && p.isAvailable()) {
        p.emitRecord(0, emitted++, NO_TIMESTAMP);
        if (emitted % 50 === 0) p.broadcastEvent(barrier(emitted / 50));
      }
      let g: GateItem | undefined;
      while ((g = gate.pollNext()) !== undefined) {
        if (g.item.kind === 'records') received.push(valueOf(g));
        else {
          // A one-channel alignment: blocked on the barrier, released at once.
          gate.blockChannel(0);
          gate.unblockChannel(0);
        }
      }
    }
    expect(received).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(gate.pollNext()).toBeUndefined();
    expect(await settlesSoon(gate)).toBe(false);
  });
});
