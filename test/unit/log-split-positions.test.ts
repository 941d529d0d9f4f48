/**
 * The split ownership and position store of log sources (JetStream, Kafka-shaped): every split
 * has exactly one owner at any parallelism, numbered splits are dealt round-robin, and a
 * restore at another parallelism gives each split's saved position to its new owner only.
 */
import { describe, expect, it } from 'vitest';
import { LogSplitPositions, ownerOfSplit, type LogSplitPosition } from '../../src/connectors/log-split-positions.js';
import type { StateInitializationContext } from '../../src/common/checkpoint-hooks.js';

/** A context over one union list state holding `items` (restored when given). */
function context(items: LogSplitPosition[] | undefined): { ctx: StateInitializationContext; saved: () => LogSplitPosition[] } {
  let stored = items ?? [];
  const list = {
    get: () => stored,
    update: (v: LogSplitPosition[]) => (stored = v),
    add: (v: LogSplitPosition) => stored.push(v),
    clear: () => (stored = []),
  };
  const ctx = {
    isRestored: items !== undefined,
    restoredCheckpointId: items !== undefined ? 7 : undefined,
    getUnionListState: () => list,
  } as unknown as StateInitializationContext;
  return { ctx, saved: () => stored };
}

describe('log split positions', () => {
  it('deals numbered splits round-robin and gives every split one owner', () => {
    expect([0, 1, 2, 3].map((i) => ownerOfSplit(`orders.${i}`, 2))).toEqual([0, 1, 0, 1].map((x) => (x + ownerOfSplit('orders.0', 2)) % 2));
    for (const p of [1, 2, 3, 7]) {
      for (const id of ['a', 'orders.17', 'x.y.z', '']) {
        const owner = ownerOfSplit(id, p);
        expect(owner).toBeGreaterThanOrEqual(0);
        expect(owner).toBeLessThan(p);
      }
    }
  });

  it('restores each saved position at another parallelism to exactly one new owner', () => {
    const positions: LogSplitPosition[] = Array.from({ length: 10 }, (_, i) => ({ split: `s.${i}`, next: 100 + i }));
    // Two old subtasks saved their own positions; the union state hands all of them to everyone.
    const owners = new Map<string, number[]>();
    for (let subtask = 0; subtask < 3; subtask++) {
      const store = new LogSplitPositions();
      store.initializeState(context(positions).ctx);
      expect(store.restored).toBe(true);
      for (const p of store.restoredSplitsOf(subtask, 3)) {
        expect(p.next).toBe(100 + Number(p.split.slice(2)));
        owners.set(p.split, [...(owners.get(p.split) ?? []), subtask]);
      }
    }
    expect([...owners.keys()].sort()).toEqual(positions.map((p) => p.split).sort());
    for (const list of owners.values()) expect(list).toHaveLength(1);
  });

  it('saves what the attached reader reports, and the restored positions before it started', () => {
    const fresh = context(undefined);
    const store = new LogSplitPositions();
    store.initializeState(fresh.ctx);
    expect(store.restored).toBe(false);
    store.attach({ positions: () => [{ split: 'a', next: 5 }] });
    store.snapshotState({ checkpointId: 1, timestamp: 0, savepoint: false });
    expect(fresh.saved()).toEqual([{ split: 'a', next: 5 }]);

    const restored = context([{ split: 'b', next: 9, end: 20 }]);
    const early = new LogSplitPositions();
    early.initializeState(restored.ctx);
    early.snapshotState({ checkpointId: 8, timestamp: 0, savepoint: false });
    expect(restored.saved()).toEqual([{ split: 'b', next: 9, end: 20 }]);
    expect(early.restoredPosition('b')).toEqual({ split: 'b', next: 9, end: 20 });
  });
});
