/**
 * The final checkpoint of a bounded job is brought forward: once every source ended, the
 * JobManager fires the next periodic checkpoint now instead of at the end of the interval —
 * still queued behind a checkpoint in flight.
 */
import { describe, expect, it } from 'vitest';
import { ackAll, flush, setup } from './checkpoint-coordinator-doubles.js';

describe('CheckpointCoordinator.triggerPeriodicCheckpointNow', () => {
  it('triggers at once instead of one interval later', async () => {
    const { scheduler, gateway, coordinator } = setup({ intervalMs: 600_000 });
    const triggered = () => new Set(gateway.triggers.map((t) => t.request.checkpointId)).size;
    coordinator.startCheckpointScheduler();
    await scheduler.advance(1_000);
    expect(triggered()).toBe(0);
    coordinator.triggerPeriodicCheckpointNow();
    await flush();
    expect(triggered()).toBe(1);
    // The interval restarts from the forced checkpoint.
    await ackAll(coordinator, 1);
    await scheduler.advance(599_000);
    expect(triggered()).toBe(1);
    await scheduler.advance(1_000);
    expect(triggered()).toBe(2);
  });

  it('waits for the checkpoint in flight, then goes', async () => {
    const { scheduler, gateway, coordinator } = setup({ intervalMs: 600_000 });
    const triggered = () => new Set(gateway.triggers.map((t) => t.request.checkpointId)).size;
    coordinator.startCheckpointScheduler(0);
    await scheduler.advance(0);
    expect(triggered()).toBe(1);
    coordinator.triggerPeriodicCheckpointNow();
    await flush();
    expect(triggered()).toBe(1);
    await ackAll(coordinator, 1);
    await flush();
    expect(triggered()).toBe(2);
  });

  it('does nothing while periodic checkpoints are not running', async () => {
    const { gateway, coordinator } = setup({ intervalMs: 600_000 });
    coordinator.triggerPeriodicCheckpointNow();
    await flush();
    expect(gateway.triggers).toHaveLength(0);
  });
});
