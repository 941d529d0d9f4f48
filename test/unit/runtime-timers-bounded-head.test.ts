import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openNativeKeyedStateFile, restoreNativeKeyedState, writeNativeKeyedStateFile } from '../../src/checkpoint/native-keyed-state-file.js';
import { InternalTimerService } from '../../src/runtime/internal-timer-service.js';
import type { FiredTimer as Timer } from '../../src/state/heap-timer-queue.js';
import type { TimeDomain } from '../../src/state/keyed-state-backend.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';

const BOUND = 16;

let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

/** A deterministic generator (the test replays the same operations every run). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

type Live = { key: unknown; ns: string | number; ts: number };
const id = (key: unknown, ns: string | number, ts: number) => `${typeof key}:${String(key)}|${typeof ns}:${ns}|${ts}`;

/** One timer service over one LevelDB backend, with a model of its live timers per domain. */
class Subject {
  readonly fired: [TimeDomain, Live][] = [];
  /** Processing time of the fake clock. */
  now = 0;
  wakeUp = Number.POSITIVE_INFINITY;
  readonly timers: InternalTimerService;
  /** Called for every fired timer, after the checks (the test registers timers from it). */
  onFire: (domain: TimeDomain, t: Timer) => void = () => undefined;
  /** Called while firing waits for a load (the test registers and deletes timers meanwhile). */
  whileLoading: () => void = () => undefined;

  constructor(
    readonly backend: LevelDbKeyedStateBackend,
    readonly model: Record<TimeDomain, Map<string, Live>>,
  ) {
    const clock = { now: () => this.now, requestWakeUp: (ts: number) => void (this.wakeUp = Math.min(this.wakeUp, ts)) };
    this.timers = new InternalTimerService(backend, clock, undefined, { cacheSize: BOUND });
    let last: Record<TimeDomain, number> = { EVENT_TIME: -Infinity, PROCESSING_TIME: -Infinity };
    this.timers.setCallback((t, domain) => {
      // Each live timer once, the key current, never earlier than the one before.
      const live = this.model[domain].get(id(t.key, t.namespace, t.timestamp));
      expect(live, `${domain} ${id(t.key, t.namespace, t.timestamp)} fired but is not live`).toBeDefined();
      expect(this.backend.getCurrentKey()).toEqual(live!.key);
      expect(t.timestamp).toBeGreaterThanOrEqual(last[domain]);
      last[domain] = t.timestamp;
      this.model[domain].delete(id(t.key, t.namespace, t.timestamp));
      this.fired.push([domain, live!]);
      this.onFire(domain, t);
    });
    this.resetOrder = () => (last = { EVENT_TIME: -Infinity, PROCESSING_TIME: -Infinity });
  }

  readonly resetOrder: () => void;

  checkBound(): void {
    const n = this.timers.numTimers();
    expect(n.eventTime).toBeLessThanOrEqual(BOUND);
    expect(n.processingTime).toBeLessThanOrEqual(BOUND);
  }

  register(domain: TimeDomain, key: unknown, ns: string | number, ts: number): void {
    this.backend.setCurrentKey(key);
    if (domain === 'EVENT_TIME') this.timers.registerEventTimeTimer(ts, ns);
    else this.timers.registerProcessingTimeTimer(ts, ns);
    this.model[domain].set(id(key, ns, ts), { key, ns, ts });
    this.checkBound();
  }

  delete(domain: TimeDomain, key: unknown, ns: string | number, ts: number): void {
    this.backend.setCurrentKey(key);
    if (domain === 'EVENT_TIME') this.timers.deleteEventTimeTimer(ts, ns);
    else this.timers.deleteProcessingTimeTimer(ts, ns);
    this.model[domain].delete(id(key, ns, ts));
    this.checkBound();
  }

  /** Advances event or processing time to `to`, waiting for loads; checks nothing due is left. */
  async advance(domain: TimeDomain, to: number): Promise<void> {
    this.resetOrder();
    for (;;) {
      const done = domain === 'EVENT_TIME' ? this.timers.advanceWatermark(to) : this.timers.fireProcessingTimers((this.now = to));
      this.checkBound();
      if (done) break;
      const load = this.timers.pendingLoad;
      expect(load, 'an unbounded budget stops only for a load').toBeDefined();
      this.whileLoading();
      await load;
    }
    for (const t of this.model[domain].values()) expect(t.ts, `${domain} ${id(t.key, t.ns, t.ts)} is due but did not fire`).toBeGreaterThan(to);
    if (domain === 'PROCESSING_TIME') {
      const next = Math.min(...[...this.model.PROCESSING_TIME.values()].map((t) => t.ts));
      // The next wake-up is asked for no later than the earliest live timer.
      if (Number.isFinite(next)) expect(this.timers.nextProcessingTimer()).toBeLessThanOrEqual(next);
    }
  }
}

function cloneModel(m: Record<TimeDomain, Map<string, Live>>): Record<TimeDomain, Map<string, Live>> {
  return { EVENT_TIME: new Map(m.EVENT_TIME), PROCESSING_TIME: new Map(m.PROCESSING_TIME) };
}

describe('InternalTimerService over LevelDB holds only a bounded head of its timers', () => {
  it('fires exactly the live timers, once each, in timestamp order, with a snapshot taken while a load is pending and restored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-timer-head-'));
    dirs.push(dir);
    const open = (n: string) =>
      LevelDbKeyedStateBackend.open({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorName: 'Op', path: join(dir, n), cacheBytes: 1 << 20 });
    const r = rng(42);
    const keys: unknown[] = [...Array.from({ length: 150 }, (_, i) => `k${i}`), ...Array.from({ length: 50 }, (_, i) => i), [1, 'x']];
    const namespaces: (string | number)[] = ['', 'w', 7, 1000];
    let s = new Subject(await open('db-0'), { EVENT_TIME: new Map(), PROCESSING_TIME: new Map() });
    await s.timers.loadTimers();
    let wm = 0;
    let snapshot: { handle: Awaited<ReturnType<typeof writeNativeKeyedStateFile>>; model: Record<TimeDomain, Map<string, Live>>; wm: number; now: number } | undefined;
    let restored = false;
    // Some firings register a later timer of the same key (near or far), as windows and process functions do.
    const chain = (domain: TimeDomain, t: Timer) => {
      if (r(4) !== 0) return;
      const ts = t.timestamp + 1 + r(3000);
      s.model[domain].set(id(t.key, t.namespace, ts), { key: t.key, ns: t.namespace, ts });
      if (domain === 'EVENT_TIME') s.timers.registerEventTimeTimer(ts, t.namespace);
      else s.timers.registerProcessingTimeTimer(ts, t.namespace);
    };
    s.onFire = chain;
    let registered = 0;
    /** A registration (new, or again), or a deletion (of a live timer, or of any). */
    const randomOp = () => {
      const domain: TimeDomain = r(3) === 0 ? 'PROCESSING_TIME' : 'EVENT_TIME';
      const base = domain === 'EVENT_TIME' ? wm : s.now;
      const live = [...s.model[domain].values()];
      const roll = r(10);
      if (roll < 6 || live.length === 0) {
        // Coarse timestamps: many timers share one, across keys and key groups.
        s.register(domain, keys[r(keys.length)], namespaces[r(namespaces.length)]!, base + 50 * r(120));
        registered++;
      } else if (roll < 8) {
        const t = live[r(live.length)]!;
        s.register(domain, t.key, t.ns, t.ts);
      } else if (roll < 9) {
        const t = live[r(live.length)]!;
        s.delete(domain, t.key, t.ns, t.ts);
      } else {
        s.delete(domain, keys[r(keys.length)], namespaces[r(namespaces.length)]!, base + 50 * r(120));
      }
    };
    // Timers registered and deleted while a load runs (another domain's timers fire meanwhile).
    const meanwhile = () => {
      for (let i = r(6); i > 0; i--) randomOp();
    };
    s.whileLoading = meanwhile;
    for (let step = 0; step < 80; step++) {
      for (let op = 0; op < 120; op++) randomOp();
      if (step === 30) {
        // A checkpoint while firing waits for a load: the snapshot holds every timer not fired.
        wm += 1500;
        const done = s.timers.advanceWatermark(wm);
        if (!done) expect(s.timers.pendingLoad).toBeDefined();
        const native = s.backend.snapshotNative();
        snapshot = { handle: await writeNativeKeyedStateFile(dir, 'chk', native), model: cloneModel(s.model), wm, now: s.now };
        await s.advance('EVENT_TIME', wm);
      }
      if (step === 55 && snapshot) {
        // Back to the checkpoint, as a failover would: a new database restored from it.
        await s.backend.dispose();
        const b = await open('db-1');
        await restoreNativeKeyedState(b, [await openNativeKeyedStateFile(dir, snapshot.handle)]);
        s = new Subject(b, cloneModel(snapshot.model));
        s.onFire = chain;
        s.whileLoading = meanwhile;
        s.now = snapshot.now;
        wm = snapshot.wm;
        await s.timers.loadTimers();
        s.checkBound();
        restored = true;
        // Timers due at the checkpoint's watermark that had not fired then fire now.
        await s.advance('EVENT_TIME', wm);
      }
      wm += r(1200);
      await s.advance('EVENT_TIME', wm);
      await s.advance('PROCESSING_TIME', s.now + r(1200));
    }
    // The end of input: everything left fires (nothing registered meanwhile but by firing timers).
    s.whileLoading = () => undefined;
    await s.advance('EVENT_TIME', Number.MAX_SAFE_INTEGER);
    await s.advance('PROCESSING_TIME', Number.MAX_SAFE_INTEGER);
    expect(restored).toBe(true);
    expect(registered).toBeGreaterThan(5000);
    expect(s.model.EVENT_TIME.size + s.model.PROCESSING_TIME.size).toBe(0);
    // Nothing is left in the database either.
    const left = [];
    for await (const t of s.backend.timers()) left.push(t);
    expect(left).toEqual([]);
    await s.backend.dispose();
  }, 120_000);

  it('does not hold input back after a processing-time load brings only later timers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-timer-head-'));
    dirs.push(dir);
    const backend = await LevelDbKeyedStateBackend.open({ maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, operatorName: 'Op', path: join(dir, 'db'), cacheBytes: 1 << 20 });
    const wakeUps: number[] = [];
    const timers = new InternalTimerService(backend, { now: () => 0, requestWakeUp: (ts) => void wakeUps.push(ts) }, undefined, { cacheSize: 4 });
    const fired: number[] = [];
    timers.setCallback((t) => fired.push(t.timestamp));
    await timers.loadTimers();
    backend.setCurrentKey('k');
    for (let ts = 100; ts < 110; ts++) timers.registerProcessingTimeTimer(ts);
    expect(timers.numTimers().processingTime).toBeLessThanOrEqual(4);
    expect(timers.fireProcessingTimers(101)).toBe(true);
    expect(fired).toEqual([100, 101]);
    // 102 is due but only in LevelDB: a load starts; 102 is deleted while it runs.
    expect(timers.fireProcessingTimers(102)).toBe(false);
    backend.setCurrentKey('k');
    timers.deleteProcessingTimeTimer(102);
    wakeUps.length = 0;
    await timers.pendingLoad;
    // Nothing is due at 102 any more: no firing is pending, and the task is woken for the next timer.
    expect(timers.hasPendingFiring).toBe(false);
    expect(wakeUps.at(-1)).toBe(103);
    expect(timers.fireProcessingTimers(102)).toBe(true);
    expect(fired).toEqual([100, 101]);
    await backend.dispose();
  });
});
