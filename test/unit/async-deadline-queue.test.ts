/**
 * The async operator's timeouts on one timer: due entries come out oldest first, settled ones
 * never, the FIFO stays bounded by the capacity behind a slow request, and the one timer fires.
 */
import { describe, expect, it } from 'vitest';
import { AsyncDeadlineQueue } from '../../src/runtime/operators/async-deadline-queue.js';

class Entry {
  settled = false;
  constructor(readonly id: number) {}
}

describe('AsyncDeadlineQueue', () => {
  it('returns the unsettled entries whose deadline came, in start order', () => {
    let t = 0;
    const q = new AsyncDeadlineQueue<Entry>(100, 10, () => undefined, () => t);
    const es = Array.from({ length: 5 }, (_, i) => new Entry(i));
    for (const e of es) {
      q.add(e);
      t += 10;
    }
    es[1]!.settled = true;
    t = 125; // deadlines 100, 110, 120, 130, 140
    expect(q.takeDue().map((e) => e.id)).toEqual([0, 2]);
    expect(q.takeDue()).toEqual([]);
    es[4]!.settled = true;
    t = 1000;
    expect(q.takeDue().map((e) => e.id)).toEqual([3]);
    expect(q.size).toBe(0);
    q.clear();
  });

  it('stays bounded by the capacity when completed entries pile up behind a slow one', () => {
    let t = 0;
    const q = new AsyncDeadlineQueue<Entry>(60_000, 100, () => undefined, () => t);
    const slow = new Entry(-1);
    q.add(slow);
    for (let i = 0; i < 100_000; i++) {
      const e = new Entry(i);
      q.add(e);
      e.settled = true;
      t += 0.01;
      expect(q.size).toBeLessThanOrEqual(2 * 100 + 65);
    }
    t = 60_001;
    expect(q.takeDue()).toEqual([slow]);
    q.clear();
  });

  it('fires its one timer when the first deadline comes', async () => {
    const fired: number[] = [];
    let q!: AsyncDeadlineQueue<Entry>;
    const done = new Promise<void>((resolve) => {
      q = new AsyncDeadlineQueue<Entry>(20, 10, () => {
        fired.push(...q.takeDue().map((e) => e.id));
        if (fired.length === 2) resolve();
      });
    });
    q.add(new Entry(1));
    q.add(new Entry(2));
    await done;
    expect(fired).toEqual([1, 2]);
    q.clear();
  });
});
