/**
 * Retention bookkeeping of the CheckpointCoordinator: what is on disk never exceeds the retained
 * completed checkpoints plus those in flight once a checkpoint completed, whatever was aborted,
 * declined, subsumed or left behind before; recovered checkpoints are retained like new ones.
 */
import { describe, expect, it } from 'vitest';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint-store.js';
import { ALL, ack, ackAll, flush, setup } from './checkpoint-coordinator-doubles.js';

const dir = (id: number): string => `/cp/job/chk-${id}`;

describe('checkpoint retention', () => {
  it('collects the directory of a declined checkpoint that a late task brought back, once the next checkpoint completes', async () => {
    const { coordinator, storage } = setup({}, 1);
    const first = coordinator.triggerCheckpoint();
    first.catch(() => {});
    await flush();
    coordinator.receiveDecline({ checkpointId: 1, vertexId: 'map', subtaskIndex: 0, attempt: 0, reason: 'the synchronous part of the snapshot failed' });
    await expect(first).rejects.toThrow('declined');
    await flush();
    expect(storage.checkpointIds()).toEqual([]);
    // A task of the declined checkpoint writes its state file late, recreating the directory.
    storage.dirs.set(dir(1), null);
    const second = coordinator.triggerCheckpoint();
    await flush();
    await ackAll(coordinator, 2);
    await second;
    expect(storage.checkpointIds()).toEqual([2]);
  });

  it('under failovers, expiries, declines and late writers keeps at most num-retained completed checkpoints plus those in flight', async () => {
    const numRetained = 2;
    const { coordinator, storage, scheduler } = setup({ timeoutMs: 500, tolerableFailures: 1_000 }, numRetained);
    let id = 0;
    const observed: number[] = [];
    for (let round = 0; round < 13; round++) {
      const p = coordinator.triggerCheckpoint();
      p.catch(() => {});
      await flush();
      id++;
      const fate = round % 4;
      if (fate === 1) coordinator.abortPendingCheckpoints('Job failover: TaskManager lost');
      if (fate === 2) coordinator.receiveDecline({ checkpointId: id, vertexId: 'src', subtaskIndex: 1, attempt: 0, reason: 'writing the state files failed' });
      if (fate === 3) await scheduler.advance(500);
      if (fate !== 0) {
        await expect(p).rejects.toThrow();
        // A stale attempt writes into the aborted checkpoint's directory afterwards.
        storage.dirs.set(dir(id), null);
        continue;
      }
      await ackAll(coordinator, id);
      await p;
      observed.push(storage.checkpointIds().length);
      expect(storage.checkpointIds().length).toBeLessThanOrEqual(numRetained + coordinator.pendingCheckpointIds().length);
    }
    expect(coordinator.completedCheckpoints().map((c) => c.checkpointId)).toEqual([9, 13]);
    expect(storage.checkpointIds()).toEqual([9, 13]);
    expect(observed).toEqual([1, 2, 2, 2]);
  });

  it('deletes a checkpoint aborted while its _metadata was being written, also when that write then fails', async () => {
    const { coordinator, storage } = setup({}, 1);
    let release!: () => void;
    storage.metadataGate = new Promise((r) => (release = r));
    const p = coordinator.triggerCheckpoint();
    p.catch(() => {});
    await flush();
    const completing = ackAll(coordinator, 1);
    await flush();
    coordinator.abortPendingCheckpoints('Job failover: task failed');
    storage.failMetadata = true;
    release();
    await completing;
    await coordinator.whenDiscarded();
    await expect(p).rejects.toThrow();
    expect(storage.checkpointIds()).toEqual([]);
  });

  it('retains the checkpoints a previous JobManager left and subsumes them like new ones; ids continue above every old one', async () => {
    const recovered: CompletedCheckpoint[] = [3, 5].map((n) => ({ checkpointId: n, timestamp: n, completionTimestamp: n, savepoint: false, externalPath: dir(n) }));
    const retained: number[][] = [];
    const { coordinator, storage, gateway } = setup({}, 2, undefined, { checkpoints: recovered, firstCheckpointId: 7 });
    for (const n of [3, 5]) storage.dirs.set(dir(n), null);
    expect(coordinator.latestCompletedCheckpoint()?.checkpointId).toBe(5);
    const p = coordinator.triggerCheckpoint();
    await flush();
    expect(gateway.triggers[0]!.request.checkpointId).toBe(7);
    for (const t of ALL) await coordinator.receiveAcknowledge(ack(7, t));
    await p;
    retained.push(coordinator.completedCheckpoints().map((c) => c.checkpointId));
    expect(retained).toEqual([[5, 7]]);
    expect(storage.checkpointIds()).toEqual([5, 7]);
  });

  it('leaves no chk-* directory once the job ended with deletion: retained, aborted and orphaned ones alike', async () => {
    const { coordinator, storage } = setup({}, 2);
    const p = coordinator.triggerCheckpoint();
    await flush();
    await ackAll(coordinator, 1);
    await p;
    storage.dirs.set(dir(0), null);
    const inFlight = coordinator.triggerCheckpoint();
    inFlight.catch(() => {});
    await flush();
    coordinator.shutdown();
    await coordinator.discardCompletedCheckpoints();
    expect(storage.checkpointIds()).toEqual([]);
  });

  it('drops a damaged checkpoint from the store at once, so the next restore already falls back', async () => {
    const { coordinator, storage } = setup({}, 3);
    for (let id = 1; id <= 2; id++) {
      const p = coordinator.triggerCheckpoint();
      await flush();
      await ackAll(coordinator, id);
      await p;
    }
    expect(coordinator.dropCheckpoint(2, true)?.checkpointId).toBe(2);
    expect(coordinator.latestCompletedCheckpoint()?.checkpointId).toBe(1);
    await coordinator.whenDiscarded();
    expect(storage.checkpointIds()).toEqual([1]);
  });
});
