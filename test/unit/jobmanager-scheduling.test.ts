import { describe, expect, it } from 'vitest';
import { canTransition, isCancellable, settledStatus, transition } from '../../src/cluster/jobmanager/job-status-machine.js';
import { assignSlots, requiredSlots } from '../../src/cluster/jobmanager/slot-assignment.js';
import { SlotPool } from '../../src/cluster/jobmanager/slot-pool.js';
import { RestartStrategy } from '../../src/cluster/jobmanager/restart-strategy.js';
import { aggregateExecutionState } from '../../src/cluster/jobmanager/execution-graph.js';
import { FailedPreconditionError, TimeoutError } from '../../src/core/errors.js';

describe('job state machine', () => {
  it('allows Flink transitions and refuses the rest', () => {
    expect(canTransition('CREATED', 'RUNNING')).toBe(true);
    expect(canTransition('RUNNING', 'FINISHED')).toBe(true);
    expect(canTransition('RUNNING', 'FAILING')).toBe(true);
    expect(canTransition('FAILING', 'FAILED')).toBe(true);
    expect(canTransition('RUNNING', 'RESTARTING')).toBe(true);
    expect(canTransition('RESTARTING', 'RUNNING')).toBe(true);
    expect(canTransition('CANCELLING', 'CANCELED')).toBe(true);
    expect(canTransition('FINISHED', 'RUNNING')).toBe(false);
    expect(canTransition('CREATED', 'FINISHED')).toBe(false);
    expect(canTransition('CANCELLING', 'FAILED')).toBe(false);
    expect(() => transition('FAILED', 'RUNNING')).toThrow(FailedPreconditionError);
    expect(transition('RUNNING', 'CANCELLING')).toBe('CANCELLING');
  });

  it('knows what can be cancelled and where a job settles', () => {
    expect(isCancellable('RUNNING')).toBe(true);
    expect(isCancellable('RESTARTING')).toBe(true);
    expect(isCancellable('FINISHED')).toBe(false);
    expect(isCancellable('CANCELLING')).toBe(false);
    expect(settledStatus('RUNNING', true)).toBe('FINISHED');
    expect(settledStatus('RUNNING', false)).toBeUndefined();
    expect(settledStatus('FAILING', false)).toBe('FAILED');
    expect(settledStatus('CANCELLING', true)).toBe('CANCELED');
    expect(settledStatus('RESTARTING', false)).toBeUndefined();
  });
});

describe('slot assignment', () => {
  it('needs the highest parallelism', () => {
    expect(requiredSlots([{ parallelism: 2 }, { parallelism: 5 }, { parallelism: 1 }])).toBe(5);
  });

  it('spreads over TaskManagers, most free slots first', () => {
    const slots = assignSlots(
      [
        { taskManagerId: 'a', address: 'a:1', freeSlotIndices: [0] },
        { taskManagerId: 'b', address: 'b:1', freeSlotIndices: [0, 1, 2] },
        { taskManagerId: 'c', address: 'c:1', freeSlotIndices: [1, 3] },
      ],
      5,
    );
    expect(slots!.map((s) => `${s.taskManagerId}${s.slotIndex}`)).toEqual(['b0', 'c1', 'a0', 'b1', 'c3']);
  });

  it('returns undefined when not enough slots are free', () => {
    expect(assignSlots([{ taskManagerId: 'a', address: 'a:1', freeSlotIndices: [0, 1] }], 3)).toBeUndefined();
    expect(assignSlots([], 0)).toEqual([]);
  });
});

describe('slot pool', () => {
  it('serves waiting requests when TaskManagers register or jobs release slots', async () => {
    const pool = new SlotPool();
    pool.addTaskManager('a', 'a:1', 1);
    const first = await pool.requestSlots('j1', 1, 1_000);
    expect(first).toEqual([{ taskManagerId: 'a', address: 'a:1', slotIndex: 0 }]);
    const waiting = pool.requestSlots('j2', 2, 1_000);
    pool.addTaskManager('b', 'b:1', 1);
    expect(pool.freeSlots).toBe(1);
    pool.releaseSlots('j1');
    expect((await waiting).map((s) => s.taskManagerId).sort()).toEqual(['a', 'b']);
    expect(pool.slotsOf('j2')).toHaveLength(2);
    expect(pool.freeSlots).toBe(0);
    expect(pool.removeTaskManager('a')).toEqual(['j2']);
    expect(pool.totalSlots).toBe(1);
  });

  it('times out with the numbers, and honours abort', async () => {
    const pool = new SlotPool();
    pool.addTaskManager('a', 'a:1', 2);
    await pool.requestSlots('j1', 1, 100);
    const err = await pool.requestSlots('j2', 4, 30).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('Could not acquire the required slots: the job needs 4 slots, the cluster has 1 free (2 total).');
    const controller = new AbortController();
    const aborted = pool.requestSlots('j3', 4, 10_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    pool.addTaskManager('b', 'b:1', 4);
    expect(pool.slotsOf('j3')).toEqual([]);
  });
});

describe('restart strategies', () => {
  it('none never restarts, also when unset', () => {
    expect(new RestartStrategy({ type: 'none' }).onFailure(0).restart).toBe(false);
    expect(new RestartStrategy(undefined).onFailure(0).restart).toBe(false);
  });

  it('fixed-delay restarts n times after the delay', () => {
    const s = new RestartStrategy({ type: 'fixed-delay', attempts: 2, delayMs: 100 });
    expect(s.onFailure(0)).toEqual({ restart: true, delayMs: 100 });
    expect(s.onFailure(1)).toEqual({ restart: true, delayMs: 100 });
    expect(s.onFailure(2).restart).toBe(false);
    expect(s.numberOfRestarts).toBe(2);
  });

  it('exponential-delay grows, caps and resets after a quiet period', () => {
    const s = new RestartStrategy(
      { type: 'exponential-delay', initialBackoffMs: 10, maxBackoffMs: 35, backoffMultiplier: 2, resetBackoffThresholdMs: 1_000, jitterFactor: 0 },
      () => 0.5,
    );
    expect([s.onFailure(0), s.onFailure(1), s.onFailure(2), s.onFailure(3)].map((d) => (d.restart ? d.delayMs : -1))).toEqual([10, 20, 35, 35]);
    expect(s.onFailure(5_000)).toEqual({ restart: true, delayMs: 10 });
  });

  it('failure-rate stops after too many failures in the interval', () => {
    const s = new RestartStrategy({ type: 'failure-rate', maxFailuresPerInterval: 2, failureRateIntervalMs: 1_000, delayMs: 5 });
    expect(s.onFailure(0).restart).toBe(true);
    expect(s.onFailure(10).restart).toBe(true);
    expect(s.onFailure(2_000).restart).toBe(true);
    expect(s.onFailure(2_010).restart).toBe(true);
    expect(s.onFailure(2_020).restart).toBe(false);
  });
});

describe('vertex aggregate state', () => {
  it('reports agreement, else the most significant state', () => {
    expect(aggregateExecutionState(['FINISHED', 'FINISHED'])).toBe('FINISHED');
    expect(aggregateExecutionState(['FINISHED', 'RUNNING'])).toBe('RUNNING');
    expect(aggregateExecutionState(['RUNNING', 'FAILED', 'CANCELED'])).toBe('FAILED');
    expect(aggregateExecutionState(['SCHEDULED', 'DEPLOYING'])).toBe('DEPLOYING');
  });
});
