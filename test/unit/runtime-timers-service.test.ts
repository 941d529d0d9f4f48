import { describe, expect, it } from 'vitest';
import { GlobalWindow, TimeWindow, windowId, windowFromId } from '../../src/common/windowing/windows.js';
import { InternalTimerService, type TimerFiringBudget } from '../../src/runtime/internal-timer-service.js';
import type { FiredTimer as Timer } from '../../src/state/heap-timer-queue.js';
import type { KeyedStateEntry, TimerEntry } from '../../src/state/keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';

const range = { start: 0, end: 127 };
const clock = { now: () => 0, requestWakeUp: () => undefined };

function service(budget?: TimerFiringBudget) {
  const backend = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: range, operatorName: 'op' });
  const timers = new InternalTimerService(backend, clock, budget);
  const fired: [unknown, string | number, number][] = [];
  timers.setCallback((t: Timer) => fired.push([backend.getCurrentKey(), t.namespace, t.timestamp]));
  return { backend, timers, fired };
}

async function storedTimers(backend: MemoryKeyedStateBackend): Promise<TimerEntry[]> {
  const out: TimerEntry[] = [];
  for await (const t of backend.timers()) out.push(t);
  return out;
}

describe('InternalTimerService index', () => {
  it('keeps one timer per (key, namespace, timestamp), past the per-key list size too, and deletes exactly one', async () => {
    const { backend, timers, fired } = service();
    for (const key of ['a', 1, '1', [1, 2], { x: 1, y: 2 }]) {
      backend.setCurrentKey(key);
      for (let round = 0; round < 3; round++) {
        // 20 timers per key: the per-key list becomes a map on the way.
        for (let i = 0; i < 10; i++) {
          timers.registerEventTimeTimer(100 + i, 'w');
          timers.registerEventTimeTimer(100 + i, i);
        }
      }
    }
    // Structurally equal keys meet; 1 and '1' stay apart, so do namespace 3 and '3'.
    backend.setCurrentKey({ y: 2, x: 1 });
    timers.registerEventTimeTimer(105, 'w');
    expect(timers.numTimers().eventTime).toBe(5 * 20);
    expect(await storedTimers(backend)).toHaveLength(100);

    backend.setCurrentKey('1');
    timers.deleteEventTimeTimer(103, 3);
    timers.deleteEventTimeTimer(103, '3');
    timers.deleteEventTimeTimer(103, 3);
    expect(timers.numTimers().eventTime).toBe(99);

    expect(timers.advanceWatermark(104)).toBe(true);
    expect(fired).toHaveLength(5 * 10 - 1);
    expect(fired.some(([k, ns, ts]) => k === '1' && ns === 3 && ts === 103)).toBe(false);
    expect(fired.some(([k, ns, ts]) => k === 1 && ns === 3 && ts === 103)).toBe(true);
    // Fired timers are out of the index: registering one again makes a new timer.
    backend.setCurrentKey('a');
    timers.registerEventTimeTimer(104, 'w');
    expect(timers.numTimers().eventTime).toBe(51);
    expect(await storedTimers(backend)).toHaveLength(51);
  });

  it('stops at the budget deadline with the rest still stored, resumes where it stopped, and a snapshot taken meanwhile restores the rest exactly', async () => {
    const budget: TimerFiringBudget = { deadline: Number.NEGATIVE_INFINITY };
    const { backend, timers, fired } = service(budget);
    const n = 1000;
    for (let i = 0; i < n; i++) {
      backend.setCurrentKey(i);
      timers.registerEventTimeTimer(n - i, 'ns');
    }
    // A deadline already passed still fires a bounded batch, so every slice makes progress.
    expect(timers.advanceWatermark(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(timers.hasPendingEventTimers).toBe(true);
    const firstBatch = fired.length;
    expect(firstBatch).toBeGreaterThan(0);
    expect(firstBatch).toBeLessThan(n);

    // A checkpoint now: the backend holds exactly the timers that did not fire.
    const snapshot: KeyedStateEntry[] = [];
    for await (const e of await backend.snapshotKeyGroups()) snapshot.push(e);
    const restored = service();
    await restored.backend.restore(snapshot);
    await restored.timers.loadTimers();
    expect(restored.timers.numTimers().eventTime).toBe(n - firstBatch);
    restored.timers.advanceWatermark(Number.MAX_SAFE_INTEGER);
    const union = [...fired, ...restored.fired].map(([k]) => k as number).sort((a, b) => a - b);
    expect(union).toEqual(Array.from({ length: n }, (_, i) => i));

    // The original goes on where it stopped, in timestamp order.
    budget.deadline = Number.POSITIVE_INFINITY;
    expect(timers.advanceWatermark(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(timers.hasPendingEventTimers).toBe(false);
    expect(fired.map(([, , ts]) => ts)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(await storedTimers(backend)).toEqual([]);
  });
});

describe('processing-time timers in slices', () => {
  it('stop at the deadline and ask for an immediate wake-up for the rest', () => {
    const wakeUps: number[] = [];
    const backend = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: range, operatorName: 'op' });
    const budget: TimerFiringBudget = { deadline: Number.NEGATIVE_INFINITY };
    const timers = new InternalTimerService(backend, { now: () => 500, requestWakeUp: (ts) => wakeUps.push(ts) }, budget);
    let fired = 0;
    timers.setCallback(() => void fired++);
    for (let i = 0; i < 300; i++) {
      backend.setCurrentKey(`k${i}`);
      timers.registerProcessingTimeTimer(100 + i);
    }
    wakeUps.length = 0;
    expect(timers.fireProcessingTimers(500)).toBe(false);
    expect(timers.hasPendingFiring).toBe(true);
    expect(fired).toBeLessThan(300);
    // The next due timer is already due: the task comes back at once.
    expect(wakeUps.at(-1)).toBe(100 + fired);
    budget.deadline = Number.POSITIVE_INFINITY;
    expect(timers.fireProcessingTimers(500)).toBe(true);
    expect(timers.hasPendingFiring).toBe(false);
    expect(fired).toBe(300);
  });
});

describe('windowId', () => {
  it('gives equal windows the same string and parses back', () => {
    const a = windowId(new TimeWindow(1000, 2000));
    const b = windowId(new TimeWindow(1000, 2000));
    expect(a).toBe('1000:2000');
    expect(b).toBe(a);
    // Same start, other end (merged sessions): its own id, and the first one still right.
    expect(windowId(new TimeWindow(1000, 3000))).toBe('1000:3000');
    expect(windowId(new TimeWindow(1000, 2000))).toBe('1000:2000');
    expect(windowId(new TimeWindow(-5, 7))).toBe('-5:7');
    expect(windowFromId(windowId(new TimeWindow(-5, 7)))).toEqual(new TimeWindow(-5, 7));
    expect(windowId(GlobalWindow.INSTANCE)).toBe('global');
    for (let i = 0; i < 10_000; i++) expect(windowId(new TimeWindow(i * 10, i * 10 + 10))).toBe(`${i * 10}:${i * 10 + 10}`);
  });
});
