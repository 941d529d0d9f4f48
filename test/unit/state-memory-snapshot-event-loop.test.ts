/**
 * Reading a memory backend snapshot never holds the event loop for long: its entries come in
 * time slices, so the task processes records (and the TaskManager heartbeats) while a large
 * snapshot is written. Records processed meanwhile change the state in place; the snapshot still
 * holds the snapshot point. A timer probe measures the longest stall against the whole read (as
 * the restore test does), so the check holds on a fast and on a loaded machine alike.
 */
import { afterEach, expect, it } from 'vitest';
import type { KeyedStateEntry } from '../../src/state/keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';

const KEYS = 150_000;
/** The longest stall may be at most this part of the whole read (a full GC pause is not sliceable). */
const MAX_STALL_SHARE = 1 / 3;

let backend: MemoryKeyedStateBackend | undefined;
afterEach(async () => {
  await backend?.dispose();
});

it('reads a large snapshot in slices while the task pushes onto the lists it holds', async () => {
  const b = (backend = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorName: 'Lists' }));
  b.registerState('l', 'list');
  for (let i = 0; i < KEYS; i++) (b.setCurrentKey(i), b.put('l', '', [i]));
  const entries = await b.snapshotKeyGroups();
  // The task: between slices, records push onto the lists in place, as ListState.add does.
  let processed = 0;
  let on = true;
  const processSome = (): void => {
    if (!on) return;
    for (let n = 0; n < 1000; n++, processed++) {
      b.setCurrentKey(processed % KEYS);
      const list = b.get('l', '') as number[];
      list.push(-1);
      b.put('l', '', list);
    }
    setImmediate(processSome);
  };
  setImmediate(processSome);
  let last = performance.now();
  let worst = 0;
  const tick = (): void => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
    if (on) setTimeout(tick, 5);
  };
  setTimeout(tick, 5);
  const t0 = performance.now();
  const read: KeyedStateEntry[] = [];
  try {
    for await (const e of entries) read.push(e);
  } finally {
    on = false;
  }
  worst = Math.max(worst, performance.now() - last - 5);
  const total = performance.now() - t0;
  expect(worst, `longest stall ${Math.round(worst)} ms of a ${Math.round(total)} ms read`).toBeLessThanOrEqual(Math.max(total * MAX_STALL_SHARE, 50));
  // The snapshot point: one element per list, whatever the task pushed meanwhile.
  expect(read).toHaveLength(KEYS);
  expect(read.every((e) => Array.isArray(e.value) && (e.value as number[]).length === 1 && (e.value as number[])[0] === e.key)).toBe(true);
  expect(processed).toBeGreaterThan(0);
  b.setCurrentKey(0);
  expect((b.get('l', '') as number[])[0]).toBe(0);
  expect(b.runningSnapshots).toBe(0);
});
