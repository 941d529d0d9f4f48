import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateTtlConfig,
  ValueStateDescriptor,
} from '../../src/common/state-descriptors.js';
import { assignToKeyGroup, keyGroupRangeForOperator, type KeyGroupRange } from '../../src/state/key-groups.js';
import { InternalTimerService } from '../../src/runtime/internal-timer-service.js';
import { StreamingRuntimeContext } from '../../src/runtime/streaming-runtime-context.js';
import { TIMER_STATE_NAMES, type KeyedStateBackend, type KeyedStateEntry } from '../../src/state/keyed-state-backend.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';
import { OperatorStateStore } from '../../src/state/operator-state-store.js';
import type { KeyedStateBackendParameters } from '../../src/state/keyed-state-backend-factory.js';
import type { StateNamespace } from '../../src/state/keyed-state-backend.js';

const MAX_PARALLELISM = 128;
const FULL: KeyGroupRange = { start: 0, end: MAX_PARALLELISM - 1 };
const info = { taskName: 'T', subtaskIndex: 0, parallelism: 1, maxParallelism: MAX_PARALLELISM, attemptNumber: 0, jobId: 'j' };

type Open = (range?: KeyGroupRange, cacheBytes?: number) => Promise<KeyedStateBackend>;
const opened: KeyedStateBackend[] = [];

const openMemory: Open = async (range = FULL) => {
  const b = new MemoryKeyedStateBackend({ maxParallelism: MAX_PARALLELISM, keyGroupRange: range, operatorName: 'Counter' });
  opened.push(b);
  return b;
};
const openLevelDb: Open = async (range = FULL, cacheBytes = 1024 * 1024) => {
  const path = join(mkdtempSync(join(tmpdir(), 'fluss-state-')), 'job-j', 'op-0-0');
  const b = await LevelDbKeyedStateBackend.open({ maxParallelism: MAX_PARALLELISM, keyGroupRange: range, operatorName: 'Counter', path, cacheBytes });
  opened.push(b);
  return b;
};
const BACKENDS: [string, Open][] = [
  ['memory', openMemory],
  ['leveldb', openLevelDb],
];

afterEach(async () => {
  for (const b of opened.splice(0)) await b.dispose();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function contextOf(backend: KeyedStateBackend, clock = { now: 0 }) {
  return new StreamingRuntimeContext(info, 'Counter', backend, new OperatorStateStore('Counter'), () => clock.now);
}

/** Sorts canonical entries so two backends' snapshots compare equal. */
function canonical(entries: KeyedStateEntry[]): KeyedStateEntry[] {
  const norm = (v: unknown): unknown => (v instanceof Map ? new Map(v) : v);
  return entries
    .map((e) => ({ ...e, value: norm(e.value) }))
    .sort((a, b) => (JSON.stringify([a.keyGroup, a.stateName, a.key, a.namespace, a.value instanceof Map ? 0 : a.value]) < JSON.stringify([b.keyGroup, b.stateName, b.key, b.namespace, b.value instanceof Map ? 0 : b.value]) ? -1 : 1));
}

describe.each(BACKENDS)('keyed state backend conformance: %s', (_name, open) => {
  it('keeps every state kind per key and namespace', async () => {
    const backend = await open();
    const rc = contextOf(backend);
    const count = rc.getState(new ValueStateDescriptor<number>('count', 0));
    const list = rc.getListState(new ListStateDescriptor<string>('list'));
    const map = rc.getMapState(new MapStateDescriptor<[number, string], { n: number }>('map'));
    const sum = rc.getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b));
    const avg = rc.getAggregatingState(
      new AggregatingStateDescriptor<number, [number, number], number>('avg', {
        createAccumulator: () => [0, 0],
        add: (v, acc) => [acc[0] + v, acc[1] + 1],
        getResult: (acc) => acc[0] / acc[1],
        merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
      }),
    );
    const handles = [count, list, map, sum, avg] as unknown as { setCurrentNamespace(ns: StateNamespace): void }[];
    const inNamespace = (ns: StateNamespace) => handles.forEach((h) => h.setCurrentNamespace(ns));
    for (const [key, ns, v] of [['a', '', 1], ['b', '', 10], ['a', '', 3], ['a', 'w1', 100], [{ id: 7, t: [1, 2] }, 5, 2]] as const) {
      backend.setCurrentKey(key);
      inNamespace(ns);
      count.update(count.value()! + 1);
      list.add(`${String(v)}`);
      map.put([v, 'x'], { n: v });
      sum.add(v);
      avg.add(v);
    }
    backend.setCurrentKey('a');
    inNamespace('');
    expect(count.value()).toBe(2);
    expect([...list.get()]).toEqual(['1', '3']);
    expect(map.get([3, 'x'])).toEqual({ n: 3 });
    expect([...map.keys()]).toEqual([[1, 'x'], [3, 'x']]);
    expect(sum.get()).toBe(4);
    expect(avg.get()).toBe(2);
    inNamespace('w1');
    expect(count.value()).toBe(1);
    expect(sum.get()).toBe(100);
    // An object key with its properties in another order is the same key.
    backend.setCurrentKey({ t: [1, 2], id: 7 });
    inNamespace(5);
    expect(count.value()).toBe(1);
    expect([...list.get()]).toEqual(['2']);
    inNamespace('5');
    expect(count.value()).toBe(0);
    backend.setCurrentKey('b');
    inNamespace('');
    map.remove([10, 'x']);
    expect(map.isEmpty()).toBe(true);
    expect(map.contains([10, 'x'])).toBe(false);
    // Everything survives a flush (and, for LevelDB, a round trip through the database).
    await backend.flush();
    backend.setCurrentKey('a');
    expect([...list.get()]).toEqual(['1', '3']);
    expect(map.get([1, 'x'])).toEqual({ n: 1 });
  });

  it('clears state per key and namespace', async () => {
    const backend = await open();
    const rc = contextOf(backend);
    const v = rc.getState(new ValueStateDescriptor<string>('v'));
    const l = rc.getListState(new ListStateDescriptor<number>('l'));
    const m = rc.getMapState(new MapStateDescriptor<string, number>('m'));
    for (const k of ['x', 'y']) {
      backend.setCurrentKey(k);
      v.update(k);
      l.update([1, 2]);
      m.put('a', 1);
    }
    backend.setCurrentKey('x');
    v.clear();
    l.clear();
    m.clear();
    expect(v.value()).toBeUndefined();
    expect([...l.get()]).toEqual([]);
    expect(m.isEmpty()).toBe(true);
    v.update('again');
    v.update(null as unknown as string);
    expect(v.value()).toBeUndefined();
    backend.setCurrentKey('y');
    expect(v.value()).toBe('y');
    expect((await collect(backend.keys('v'))).sort()).toEqual(['y']);
    expect((await collect(backend.keys('l'))).sort()).toEqual(['y']);
  });

  it('never returns expired values, with either update type', async () => {
    const backend = await open();
    const clock = { now: 0 };
    const rc = contextOf(backend, clock);
    const ttl = (d: { enableTimeToLive(c: StateTtlConfig): void }, onRead: boolean) => {
      const b = StateTtlConfig.newBuilder(100);
      d.enableTimeToLive((onRead ? b.updateTtlOnReadAndWrite() : b).build());
      return d;
    };
    const w = rc.getState(ttl(new ValueStateDescriptor<string>('w'), false) as ValueStateDescriptor<string>);
    const r = rc.getState(ttl(new ValueStateDescriptor<string>('r'), true) as ValueStateDescriptor<string>);
    const l = rc.getListState(ttl(new ListStateDescriptor<number>('l'), false) as ListStateDescriptor<number>);
    const m = rc.getMapState(ttl(new MapStateDescriptor<string, number>('m'), true) as MapStateDescriptor<string, number>);
    backend.setCurrentKey(1);
    w.update('w');
    r.update('r');
    l.add(1);
    m.put('a', 1);
    m.put('b', 2);
    clock.now = 60;
    l.add(2);
    expect(w.value()).toBe('w');
    expect(r.value()).toBe('r'); // access time refreshed to 60
    expect(m.get('a')).toBe(1); // refreshed to 60; 'b' is not
    await backend.flush(); // refreshed access times are persisted, not only cached
    clock.now = 120;
    expect(w.value()).toBeUndefined();
    expect(r.value()).toBe('r');
    expect([...l.get()]).toEqual([2]);
    expect([...m.entries()]).toEqual([['a', 1]]);
    clock.now = 300;
    expect(r.value()).toBeUndefined();
    expect([...l.get()]).toEqual([]);
    expect(m.isEmpty()).toBe(true);
    expect(await collect(backend.entriesOfKeyGroup(backend.getCurrentKeyGroup()))).toEqual([]);
  });

  it('fires timers in timestamp order, once per key, namespace and timestamp, honouring deletes', async () => {
    const backend = await open();
    backend.registerState('v', 'value');
    const wakeUps: number[] = [];
    const timers = new InternalTimerService(backend, { now: () => 0, requestWakeUp: (t) => wakeUps.push(t) });
    const fired: [number, unknown, StateNamespace][] = [];
    timers.setCallback((t) => fired.push([t.timestamp, backend.getCurrentKey(), t.namespace]));
    for (const [key, ts, ns] of [['a', 30, ''], ['b', 10, ''], ['a', 30, ''], ['a', 30, 'w'], ['c', 20, ''], ['b', 40, ''], [[1, 2], 5, 3]] as const) {
      backend.setCurrentKey(key);
      timers.registerEventTimeTimer(ts, ns);
    }
    backend.setCurrentKey('b');
    timers.deleteEventTimeTimer(40);
    timers.registerProcessingTimeTimer(15);
    expect(timers.numTimers()).toEqual({ eventTime: 5, processingTime: 1 });
    expect(wakeUps).toEqual([15]);

    // Timers are stored in the backend, per key group.
    const kgA = assignToKeyGroup('a', MAX_PARALLELISM);
    const ofA = (await collect(backend.entriesOfKeyGroup(kgA))).filter((e) => e.key === 'a');
    expect(ofA.map((e) => [e.stateName, e.namespace, e.value]).sort()).toEqual([
      [TIMER_STATE_NAMES.EVENT_TIME, '', 30],
      [TIMER_STATE_NAMES.EVENT_TIME, 'w', 30],
    ]);
    expect((await collect(backend.timers())).length).toBe(6);

    timers.advanceWatermark(25);
    expect(fired).toEqual([[5, [1, 2], 3], [10, 'b', ''], [20, 'c', '']]);
    timers.advanceWatermark(100);
    expect(fired.slice(3)).toEqual([[30, 'a', ''], [30, 'a', 'w']]);
    timers.fireProcessingTimers(15);
    expect(fired[5]).toEqual([15, 'b', '']);
    // Fired and deleted timers are gone from the backend too.
    expect(await collect(backend.timers())).toEqual([]);
  });

  it('restores timers into the index of a new timer service', async () => {
    const backend = await open();
    const timers = new InternalTimerService(backend, { now: () => 0, requestWakeUp: () => undefined });
    for (const [k, ts] of [['x', 300], ['y', 100], ['z', 200]] as const) {
      backend.setCurrentKey(k);
      timers.registerEventTimeTimer(ts);
    }
    const snapshot = await collect(await backend.snapshotKeyGroups());
    const target = await open();
    await target.restore(snapshot);
    const restored = new InternalTimerService(target, { now: () => 0, requestWakeUp: () => undefined });
    await restored.loadTimers();
    const fired: unknown[] = [];
    restored.setCallback((t) => fired.push(target.getCurrentKey()));
    target.setCurrentKey('y');
    restored.registerEventTimeTimer(100); // already there: not doubled
    restored.advanceWatermark(1000);
    expect(fired).toEqual(['y', 'z', 'x']);
  });

  it('iterates key groups and keys from range scans', async () => {
    const backend = await open();
    const rc = contextOf(backend);
    const v = rc.getState(new ValueStateDescriptor<number>('v'));
    const l = rc.getListState(new ListStateDescriptor<number>('l'));
    const keys = Array.from({ length: 500 }, (_, i) => `key-${i}`);
    for (const [i, k] of keys.entries()) {
      backend.setCurrentKey(k);
      v.update(i);
      l.add(i);
      (v as unknown as { setCurrentNamespace(ns: StateNamespace): void }).setCurrentNamespace('other');
      v.update(-i);
      (v as unknown as { setCurrentNamespace(ns: StateNamespace): void }).setCurrentNamespace('');
    }
    const listed = await collect(backend.keys('v'));
    expect(listed.length).toBe(500);
    expect([...listed].sort()).toEqual([...keys].sort());
    const kg = assignToKeyGroup('key-42', MAX_PARALLELISM);
    const entries = await collect(backend.entriesOfKeyGroup(kg));
    expect(entries.every((e) => e.keyGroup === kg)).toBe(true);
    expect(entries.filter((e) => e.key === 'key-42').map((e) => [e.stateName, e.namespace, e.value]).sort()).toEqual([
      ['l', '', [42]],
      ['v', '', 42],
      ['v', 'other', -42],
    ]);
    const total = (await Promise.all(Array.from({ length: MAX_PARALLELISM }, (_, g) => collect(backend.entriesOfKeyGroup(g))))).flat();
    expect(total.length).toBe(1500);
  });

  it('refuses a state registered twice with different kinds, naming the operator', async () => {
    const backend = await open();
    const rc = contextOf(backend);
    rc.getState(new ValueStateDescriptor('s'));
    expect(() => rc.getListState(new ListStateDescriptor('s'))).toThrow(/Counter: state "s" is already registered as value state/);
    backend.registerState('t', 'map');
    backend.registerState('t', 'map');
    expect(() => backend.registerState('t', 'list')).toThrow(/Counter: state "t" is already registered as map state, cannot register it as list state/);
    expect(() => backend.registerState('_timers_x', 'value')).toThrow(/reserved/);
  });

  it('rejects keys outside the subtask key-group range', async () => {
    const range = keyGroupRangeForOperator(MAX_PARALLELISM, 4, 0);
    const backend = await open(range);
    let foreign = 0;
    while (assignToKeyGroup(foreign, MAX_PARALLELISM) <= range.end) foreign++;
    expect(() => backend.setCurrentKey(foreign)).toThrow(/Counter: key .* outside this subtask's range/);
  });

  for (const [targetName, openTarget] of BACKENDS) {
    it(`takes a snapshot that restores into the ${targetName} backend, unaffected by later writes`, async () => {
      const source = await open();
      const rc = contextOf(source);
      const v = rc.getState(new ValueStateDescriptor<{ n: number }>('v'));
      const l = rc.getListState(new ListStateDescriptor<string>('l'));
      const m = rc.getMapState(new MapStateDescriptor<string, number[]>('m'));
      const timers = new InternalTimerService(source, { now: () => 0, requestWakeUp: () => undefined });
      for (let i = 0; i < 300; i++) {
        source.setCurrentKey(i % 3 === 0 ? [i, 'tuple'] : `k${i}`);
        v.update({ n: i });
        l.add(`a${i}`);
        m.put(`e${i}`, [i]);
        timers.registerEventTimeTimer(1000 + i);
      }
      const snapshot = await source.snapshotKeyGroups();
      // Later writes, including in-place list appends, stay out of the snapshot.
      for (let i = 0; i < 300; i++) {
        source.setCurrentKey(i % 3 === 0 ? [i, 'tuple'] : `k${i}`);
        l.add('later');
        v.update({ n: -1 });
      }
      const entries = await collect(snapshot);
      expect(entries.length).toBe(1200);
      const half: KeyGroupRange = { start: 0, end: 63 };
      const target = await openTarget(half);
      await target.restore(entries);
      const trc = contextOf(target);
      const tv = trc.getState(new ValueStateDescriptor<{ n: number }>('v'));
      const tl = trc.getListState(new ListStateDescriptor<string>('l'));
      const tm = trc.getMapState(new MapStateDescriptor<string, number[]>('m'));
      let restoredKeys = 0;
      for (let i = 0; i < 300; i++) {
        const key = i % 3 === 0 ? [i, 'tuple'] : `k${i}`;
        if (assignToKeyGroup(key, MAX_PARALLELISM) > half.end) continue;
        restoredKeys++;
        target.setCurrentKey(key);
        expect(tv.value()).toEqual({ n: i });
        expect([...tl.get()]).toEqual([`a${i}`]);
        expect(tm.get(`e${i}`)).toEqual([i]);
        tm.put('added', [0]);
        expect([...tm.keys()].sort()).toEqual(['added', `e${i}`]);
      }
      expect(restoredKeys).toBeGreaterThan(50);
      expect((await collect(target.timers())).length).toBe(restoredKeys);
      // Both backends produce the same canonical snapshot of the restored range.
      const again = await collect(await target.snapshotKeyGroups());
      const reference = await openTarget(half);
      await reference.restore(entries.filter((e) => e.keyGroup <= half.end));
      for (let i = 0; i < 300; i++) {
        const key = i % 3 === 0 ? [i, 'tuple'] : `k${i}`;
        if (assignToKeyGroup(key, MAX_PARALLELISM) > half.end) continue;
        reference.setCurrentKey(key);
        contextOf(reference).getMapState(new MapStateDescriptor<string, number[]>('m')).put('added', [0]);
      }
      expect(canonical(again).map((e) => [e.keyGroup, e.stateName, e.key, e.namespace])).toEqual(
        canonical(await collect(await reference.snapshotKeyGroups())).map((e) => [e.keyGroup, e.stateName, e.key, e.namespace]),
      );
    });
  }
});

describe('LevelDB keyed state backend', () => {
  it('holds 200 000 keys within a 64 KiB cache and removes its database on dispose', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fluss-state-'));
    const path = join(root, 'job-j', 'op-0-0');
    const backend = await LevelDbKeyedStateBackend.open({ maxParallelism: 128, keyGroupRange: FULL, operatorName: 'Counter', path, cacheBytes: 64 * 1024 });
    const rc = contextOf(backend);
    const count = rc.getState(new ValueStateDescriptor<number>('count', 0));
    const list = rc.getListState(new ListStateDescriptor<number>('list'));
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      backend.setCurrentKey(i);
      count.update(count.value()! + i);
      if (i % 10 === 0) list.add(i);
    }
    let maxCache = 0;
    // A second pass over every key: reads come back from LevelDB (or batches in flight).
    for (let i = 0; i < n; i++) {
      backend.setCurrentKey(i);
      count.update(count.value()! + 1);
      if (i % 10 === 0) list.add(-i);
      maxCache = Math.max(maxCache, backend.cacheMemoryBytes);
    }
    expect(maxCache).toBeLessThanOrEqual(64 * 1024 + 4096);
    for (let i = 0; i < n; i += 997) {
      backend.setCurrentKey(i);
      expect(count.value()).toBe(i + 1);
      expect([...list.get()]).toEqual(i % 10 === 0 ? [i, -i] : []);
    }
    expect((await collect(backend.keys('count'))).length).toBe(n);
    expect(existsSync(path)).toBe(true);
    await backend.dispose();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);

  it('is what a task creates unless the job or the cluster chooses memory', async () => {
    const { createKeyedStateBackendFactory, resolveStateBackendKind, localStateDirectory } = await import(
      '../../src/state/keyed-state-backend-factory.js'
    );
    expect(resolveStateBackendKind({ 'state.backend.type': 'leveldb' })).toBe('leveldb');
    expect(resolveStateBackendKind({ 'state.backend.type': 'leveldb' }, 'memory')).toBe('memory');
    expect(resolveStateBackendKind({ 'state.backend.type': 'memory' }, undefined)).toBe('memory');
    const stateDir = mkdtempSync(join(tmpdir(), 'fluss-state-'));
    const p: KeyedStateBackendParameters = {
      jobId: 'abc',
      operatorId: 'op1',
      operatorName: 'Counter',
      subtaskIndex: 1,
      attemptNumber: 2,
      maxParallelism: 128,
      keyGroupRange: FULL,
    };
    const leveldb = await createKeyedStateBackendFactory({ kind: 'leveldb', stateDir, cacheBytes: 1 << 20 })(p);
    expect(leveldb).toBeInstanceOf(LevelDbKeyedStateBackend);
    expect(localStateDirectory(stateDir, p)).toBe(join(stateDir, 'job-abc', 'op1-1-2'));
    expect(existsSync(join(stateDir, 'job-abc', 'op1-1-2'))).toBe(true);
    await leveldb.dispose();
    expect(readdirSync(stateDir)).toEqual([]);
    const memory = await createKeyedStateBackendFactory({ kind: 'memory', stateDir, cacheBytes: 1 << 20 })(p);
    expect(memory).toBeInstanceOf(MemoryKeyedStateBackend);
  });
});
