/**
 * Checkpoints are triggered one at a time: while a checkpoint's directory is still being
 * created (a loaded disk), no later checkpoint draws its id and reaches the sources first, and
 * the periodic timer counts it as in flight. A source at the end of its input takes the first
 * checkpoint it sees after that end as its final one, so a later id arriving first used to let
 * it finish on a checkpoint taken before its end, and the other sources then waited for good.
 */
import { describe, expect, it } from 'vitest';
import { ackAll, flush, setup } from './checkpoint-coordinator-doubles.js';

/** A promise the test settles. */
function gate(): { promise: Promise<void>; open: () => void; fail: (err: Error) => void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('CheckpointCoordinator triggers', () => {
  it('reach the sources in id order when an earlier directory is slow to create', async () => {
    const { storage, gateway, coordinator } = setup({ intervalMs: 600_000, maxConcurrent: 5 });
    const slow = gate();
    storage.dirGates.set(1, slow.promise);
    const first = coordinator.triggerCheckpoint();
    const second = coordinator.triggerCheckpoint();
    await flush();
    // The second waits for the first to ask its sources.
    expect(gateway.triggers).toHaveLength(0);
    slow.open();
    await flush();
    expect(gateway.triggers.map((t) => t.request.checkpointId)).toEqual([1, 1, 2, 2]);
    await ackAll(coordinator, 1);
    await ackAll(coordinator, 2);
    expect((await first).checkpointId).toBe(1);
    expect((await second).checkpointId).toBe(2);
  });

  it('count a checkpoint still creating its directory as in flight for the periodic timer', async () => {
    const { scheduler, storage, gateway, coordinator } = setup({ intervalMs: 1_000, maxConcurrent: 1 });
    const slow = gate();
    storage.dirGates.set(1, slow.promise);
    const ids = () => gateway.triggers.map((t) => t.request.checkpointId);
    coordinator.startCheckpointScheduler(0);
    await scheduler.advance(0);
    // Intervals pass and every source ends while checkpoint 1 is still being triggered.
    await scheduler.advance(3_000);
    coordinator.triggerPeriodicCheckpointNow();
    await flush();
    expect(ids()).toEqual([]);
    slow.open();
    await flush();
    expect(ids()).toEqual([1, 1]);
    expect(coordinator.pendingCheckpointIds()).toEqual([1]);
    // The queued periodic trigger goes once checkpoint 1 completed.
    await ackAll(coordinator, 1);
    await flush();
    expect(ids()).toEqual([1, 1, 2, 2]);
  });

  it('go on after a trigger whose directory could not be created', async () => {
    const { scheduler, storage, gateway, coordinator } = setup({ intervalMs: 1_000, maxConcurrent: 1, tolerableFailures: 5 });
    const broken = gate();
    storage.dirGates.set(1, broken.promise);
    coordinator.startCheckpointScheduler(0);
    await scheduler.advance(0);
    await scheduler.advance(1_000);
    broken.fail(new Error('disk full'));
    await flush();
    // The periodic trigger queued behind the failed one is not lost.
    expect(gateway.triggers.map((t) => t.request.checkpointId)).toEqual([2, 2]);
    expect(coordinator.pendingCheckpointIds()).toEqual([2]);
  });
});
