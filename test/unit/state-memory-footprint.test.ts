/**
 * The memory backend's heap per entry: a sliding window's state holds one count per (key,
 * window) and one timer for it (Nexmark q5's first stage), millions of them in a long run, so
 * what each costs decides whether the job fits its TaskManager. Measured after full collections.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { InternalTimerService } from '../../src/runtime/internal-timer-service.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('memory backend footprint', () => {
  it('holds a window count with its timer in under 200 heap bytes, each timer once', () => {
    const keys = 100_000;
    const windows = 5;
    const before = heapUsed();
    const backend = new MemoryKeyedStateBackend({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorName: 'windows' });
    backend.registerState('count', 'aggregating');
    const timers = new InternalTimerService(backend, { now: () => 0, requestWakeUp: () => undefined });
    // Window ids as the window operator makes them: one string per window, shared by all keys.
    const ids = Array.from({ length: windows }, (_, w) => `${w * 2000}:${w * 2000 + 10_000}`);
    for (let k = 0; k < keys; k++) {
      backend.setCurrentKey(1_000_000 + k);
      for (let w = 0; w < windows; w++) {
        backend.put('count', ids[w]!, ((backend.get('count', ids[w]!) as number | undefined) ?? 0) + 1);
        timers.registerEventTimeTimer(w * 2000 + 9_999, ids[w]!);
      }
    }
    const perEntry = (heapUsed() - before) / (keys * windows);
    expect(timers.numTimers().eventTime).toBe(keys * windows);
    // One Map slot for the count and one for the timer; the former layout took about 600.
    expect(perEntry).toBeLessThan(200);
    // Fired once each, in time order, and then nothing is held.
    let fired = 0;
    let last = -Infinity;
    timers.setCallback((t) => {
      expect(t.timestamp).toBeGreaterThanOrEqual(last);
      last = t.timestamp;
      fired++;
    });
    timers.advanceWatermark(Number.MAX_SAFE_INTEGER);
    expect(fired).toBe(keys * windows);
    expect(timers.numTimers().eventTime).toBe(0);
  });
});
