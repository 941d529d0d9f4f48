import { describe, expect, it } from 'vitest';
import { CheckpointStatsTracker } from '../../src/cluster/jobmanager/checkpoint-stats-tracker.js';

describe('per-checkpoint statistics', () => {
  const stats = (stateSize: number, checkpointedSize: number, syncMs: number, asyncMs: number, alignmentMs = 0) => ({
    alignmentMs,
    syncMs,
    asyncMs,
    stateSize,
    checkpointedSize,
    channelStateBytes: 0,
  });

  it('full and incremental size, sync and async duration and alignment per subtask, under Flink names', () => {
    const t = new CheckpointStatsTracker(3);
    t.reportPending(7, 1000, false);
    t.reportAcknowledged(7, 1100, 500, 0, { vertexId: 'src', subtaskIndex: 0, stats: stats(500, 500, 1, 2) });
    t.reportAcknowledged(7, 1200, 10_000, 4, { vertexId: 'agg', subtaskIndex: 0, stats: stats(10_000, 300, 3, 40, 4) });
    t.reportAcknowledged(7, 1300, 12_000, 9, { vertexId: 'agg', subtaskIndex: 1, stats: stats(12_000, 700, 5, 60, 9) });
    t.reportCompleted(7, 1350, '/chk/chk-7');
    const e = t.statistics().latest.completed!;
    expect(e.state_size).toBe(22_500);
    expect(e.checkpointed_size).toBe(1_500);
    const details = t.details(7, [
      { id: 'src', parallelism: 1 },
      { id: 'agg', parallelism: 2 },
    ])!;
    expect(details.tasks['agg']).toMatchObject({ state_size: 22_000, checkpointed_size: 1_000, num_subtasks: 2, num_acknowledged_subtasks: 2, persisted_data: 0, latest_ack_timestamp: 1300 });
    const agg = t.vertexDetails(7, { id: 'agg', parallelism: 2 })!;
    expect(agg.subtasks[1]).toMatchObject({
      index: 1,
      status: 'completed',
      state_size: 12_000,
      checkpointed_size: 700,
      checkpoint: { sync: 5, async: 60 },
      alignment: { persisted: 0, duration: 9 },
      end_to_end_duration: 300,
    });
    expect(agg.summary.checkpoint_duration.async).toEqual({ min: 40, max: 60, avg: 50 });
    expect(t.details(99, [])).toBeUndefined();
  });

  it('forgets the subtasks of checkpoints that left the history', () => {
    const t = new CheckpointStatsTracker(1);
    t.reportPending(1, 0, false);
    t.reportAcknowledged(1, 5, 10, 0, { vertexId: 'v', subtaskIndex: 0, stats: stats(10, 10, 1, 1) });
    for (let id = 2; id <= 12; id++) t.reportPending(id, 0, false);
    expect(t.details(1, [{ id: 'v', parallelism: 1 }])).toBeUndefined();
  });
});
