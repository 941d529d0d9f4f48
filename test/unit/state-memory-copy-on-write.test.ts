/**
 * Copy-on-write snapshots of the memory backend: taking a snapshot copies nothing; its entries
 * are read lazily while the task goes on changing state (values replaced, lists pushed onto in
 * place, Maps mutated, entries removed, timers added and deleted), and each snapshot still holds
 * the state of its snapshot point. Several snapshots run at once, are read in part, released
 * unread; none leaks or keeps the task copying once it ended.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { assignToKeyGroup, type KeyGroupRange } from '../../src/state/key-groups.js';
import { keyIdentity, TIMER_STATE_NAMES, type KeyedStateEntry, type StateNamespace } from '../../src/state/keyed-state-backend.js';
import { releaseKeyedStateSnapshot, snapshotKeyedState } from '../../src/state/keyed-state-snapshot.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';
import { KeyTimers } from '../../src/state/heap-timer-queue.js';
import { cloneStateValue } from '../../src/state/typed-values.js';

const MAX_P = 8;
const FULL: KeyGroupRange = { start: 0, end: MAX_P - 1 };
const KEYS: unknown[] = ['a', 'b', 'c', 'd', 'e', 7, 11, ['t', 1]];
const NAMESPACES: StateNamespace[] = ['', 3];

/** A user class kept in state: snapshots must hand it back as an instance. */
class Point {
  constructor(public x: number) {}
}

const opened: MemoryKeyedStateBackend[] = [];
function open(): MemoryKeyedStateBackend {
  const b = new MemoryKeyedStateBackend({ maxParallelism: MAX_P, keyGroupRange: FULL, operatorName: 'CoW' });
  for (const [name, kind] of [['v', 'value'], ['l', 'list'], ['m', 'map']] as const) b.registerState(name, kind);
  opened.push(b);
  return b;
}
afterEach(async () => {
  for (const b of opened.splice(0)) await b.dispose();
});

/** Maps still keeping logs or removed keys for running snapshots (the backend's private bookkeeping). */
function replacedCount(b: MemoryKeyedStateBackend): number {
  return (b as unknown as { versions: { keptCount: number } }).versions.keptCount;
}

/** Entries the backend stores (per state, namespace and key; timers): removals kept for snapshots included. */
function storedCells(b: MemoryKeyedStateBackend): number {
  const inner = b as unknown as {
    tables: Map<string, { storedCount(): number }>;
    timerQueues: Record<string, { buckets: Map<number, { map: Map<unknown, unknown> }> }>;
  };
  let n = 0;
  for (const t of inner.tables.values()) n += t.storedCount();
  for (const q of Object.values(inner.timerQueues)) {
    for (const b of q.buckets.values()) for (const v of b.map.values()) n += v instanceof KeyTimers ? v.namespaces.length : 1;
  }
  return n;
}

/** A value as text, classes and Map entries included, so that a later change in place shows. */
function canon(v: unknown): string {
  const walk = (x: unknown): unknown => {
    if (x instanceof Map) return { map: [...x].map(([k, y]) => [walk(k), walk(y)]).sort((p, q) => (JSON.stringify(p) < JSON.stringify(q) ? -1 : 1)) };
    if (Array.isArray(x)) return x.map(walk);
    if (typeof x === 'object' && x !== null) return { cls: (x as object).constructor.name, ...Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)])) };
    return x;
  };
  return JSON.stringify(walk(v));
}
const entryText = (e: KeyedStateEntry): string => canon([e.keyGroup, e.stateName, e.key, e.namespace, e.value]);

// Few keys, often the same: changes meet the entries snapshots share.
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1) }, { weight: 2, arbitrary: fc.constantFrom(...KEYS.keys()) });
const ns = fc.constantFrom(...NAMESPACES);
const command = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), key, ns, n: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('mutate' as const), key, ns, n: fc.integer({ min: 1, max: 9 }), putBack: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('add' as const), key, ns, n: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mapPut' as const), key, ns, k: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('mapDelete' as const), key, ns, k: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('remove' as const), key, ns, state: fc.constantFrom('v', 'l', 'm') }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('timer' as const), key, ns, ts: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fire' as const), upTo: fc.integer({ min: -1, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('snapshot' as const), a: fc.integer({ min: 0, max: MAX_P - 1 }), b: fc.integer({ min: 0, max: MAX_P - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('consume' as const), which: fc.nat(), count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), which: fc.nat() }) },
);

interface Running {
  iterator: AsyncIterator<KeyedStateEntry>;
  release: () => void;
  expected: string[];
  received: KeyedStateEntry[];
  receivedText: string[];
  done: boolean;
}

describe('memory backend copy-on-write snapshots', () => {
  it('each snapshot holds its snapshot point, the live state the latest, whatever the task does meanwhile', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 100, size: 'max' }), async (commands) => {
        const backend = open();
        // The model: canonical entry text → live value (own copies, classes kept).
        const model = new Map<string, KeyedStateEntry>();
        const id = (state: string, k: unknown, n: StateNamespace, extra = ''): string => JSON.stringify([state, keyIdentity(k), n, extra]);
        const running: Running[] = [];
        const released: Running[] = [];
        const pull = async (r: Running, count: number): Promise<void> => {
          // A running snapshot's values stay as they were handed out (once ended, they are the task's again).
          if (!r.done) expect(r.received.map(entryText)).toEqual(r.receivedText);
          for (let i = 0; i < count && !r.done; i++) {
            const next = await r.iterator.next();
            if (next.done) r.done = true;
            else (r.received.push(next.value), r.receivedText.push(entryText(next.value)));
          }
        };
        for (const c of commands) {
          if (c.op === 'snapshot') {
            const range = { start: Math.min(c.a, c.b), end: Math.max(c.a, c.b) };
            const entries = await backend.snapshotKeyGroups(range);
            const expected = [...model.values()].filter((e) => e.keyGroup >= range.start && e.keyGroup <= range.end).map(entryText).sort();
            const release = (): void => releaseKeyedStateSnapshot({ format: 'canonical', keyGroupRange: FULL, entries });
            running.push({ iterator: entries[Symbol.asyncIterator](), release, expected, received: [], receivedText: [], done: false });
            continue;
          }
          if (c.op === 'consume' || c.op === 'release') {
            if (running.length === 0) continue;
            const r = running[c.which % running.length]!;
            if (c.op === 'consume') await pull(r, c.count);
            else (r.release(), running.splice(running.indexOf(r), 1), released.push(r));
            continue;
          }
          if (c.op === 'fire') {
            // The timer service's firing: the earliest live timer due, taken off the queue once.
            const t = backend.timerQueue('EVENT_TIME').poll(c.upTo);
            const due = [...model.entries()].filter(([, e]) => e.stateName === TIMER_STATE_NAMES.EVENT_TIME && (e.value as number) <= c.upTo);
            if (t === undefined) {
              expect(due).toEqual([]);
              continue;
            }
            expect(t.timestamp).toBe(Math.min(...due.map(([, e]) => e.value as number)));
            expect(t.keyGroup).toBe(assignToKeyGroup(t.key, MAX_P));
            const fired = id('timer', t.key, t.namespace, String(t.timestamp));
            expect(model.has(fired)).toBe(true);
            model.delete(fired);
            continue;
          }
          const k = KEYS[c.key];
          const keyGroup = assignToKeyGroup(k, MAX_P);
          backend.setCurrentKey(k);
          const entry = (stateName: string, value: unknown): KeyedStateEntry => ({ keyGroup, stateName, key: k, namespace: c.ns, value: cloneStateValue(value) });
          switch (c.op) {
            case 'put': {
              const v = c.n % 2 === 0 ? new Point(c.n) : c.n;
              backend.put('v', c.ns, v);
              model.set(id('v', k, c.ns), entry('v', v));
              break;
            }
            case 'mutate': {
              const v = backend.get('v', c.ns);
              if (!(v instanceof Point)) break;
              v.x += c.n;
              if (c.putBack) backend.put('v', c.ns, v);
              model.set(id('v', k, c.ns), entry('v', v));
              break;
            }
            case 'add': {
              const list = backend.get('l', c.ns) as number[] | undefined;
              if (list) list.push(c.n);
              backend.put('l', c.ns, list ?? [c.n]);
              model.set(id('l', k, c.ns), entry('l', list ?? [c.n]));
              break;
            }
            case 'mapPut':
            case 'mapDelete': {
              const m = (backend.get('m', c.ns) as Map<number, number> | undefined) ?? new Map<number, number>();
              if (c.op === 'mapPut') m.set(c.k, c.n);
              else m.delete(c.k);
              if (m.size === 0) (backend.remove('m', c.ns), model.delete(id('m', k, c.ns)));
              else (backend.put('m', c.ns, m), model.set(id('m', k, c.ns), entry('m', m)));
              break;
            }
            case 'remove':
              backend.remove(c.state, c.ns);
              model.delete(id(c.state, k, c.ns));
              break;
            case 'timer': {
              const timer = { domain: 'EVENT_TIME' as const, timestamp: c.ts, key: k, keyGroup, namespace: c.ns };
              // Toggles the timer: deletions and re-additions of one timer while snapshots run.
              if (model.has(id('timer', k, c.ns, String(c.ts)))) (backend.deleteTimer(timer), model.delete(id('timer', k, c.ns, String(c.ts))));
              else (backend.putTimer(timer), model.set(id('timer', k, c.ns, String(c.ts)), { keyGroup, stateName: TIMER_STATE_NAMES.EVENT_TIME, key: k, namespace: c.ns, value: c.ts }));
              break;
            }
          }
        }
        // Every snapshot still running reads to the end and holds its snapshot point.
        for (const r of running) {
          await pull(r, Infinity);
          expect(r.receivedText.slice().sort()).toEqual(r.expected);
        }
        // A released snapshot cannot be read on (it would lack what it no longer holds).
        for (const r of released) if (!r.done) await expect(r.iterator.next()).rejects.toThrow(/released/);
        // The live state is the model's.
        const live: string[] = [];
        for (let kg = 0; kg < MAX_P; kg++) for await (const e of backend.entriesOfKeyGroup(kg)) live.push(entryText(e));
        expect(live.sort()).toEqual([...model.values()].map(entryText).sort());
        // Nothing is kept once no snapshot runs.
        expect(backend.runningSnapshots).toBe(0);
        expect(replacedCount(backend)).toBe(0);
        expect(storedCells(backend)).toBe(model.size);
      }),
      { numRuns: 200 },
    );
  });

  it('takes a snapshot without copying: the snapshot reads the stored objects, the task copies what it changes', async () => {
    const backend = open();
    const stored = new Map<number, unknown>();
    for (let i = 0; i < 100; i++) {
      backend.setCurrentKey(i);
      backend.put('l', '', [i]);
      backend.put('v', '', new Point(i));
      stored.set(i, backend.get('l', ''));
    }
    const snapshot = await snapshotKeyedState(backend, false);
    if (snapshot.format !== 'canonical') throw new TypeError('memory snapshots are canonical');
    // The task changes key 0 in place after the snapshot point.
    backend.setCurrentKey(0);
    const list = backend.get('l', '') as number[];
    expect(list).not.toBe(stored.get(0));
    list.push(99);
    backend.put('l', '', list);
    const entries: KeyedStateEntry[] = [];
    for await (const e of snapshot.entries) entries.push(e);
    const lists = entries.filter((e) => e.stateName === 'l');
    expect(lists).toHaveLength(100);
    // Each value is the very object stored: nothing was deep-copied, untouched or touched.
    for (const e of lists) expect(e.value).toBe(stored.get(e.key as number));
    expect(lists.find((e) => e.key === 0)!.value).toEqual([0]);
    expect(entries.filter((e) => e.stateName === 'v').every((e) => e.value instanceof Point)).toBe(true);
    backend.setCurrentKey(0);
    expect(backend.get('l', '')).toEqual([0, 99]);
    // The snapshot ended: reads hand out the stored objects again, no copy.
    backend.setCurrentKey(1);
    expect(backend.get('l', '')).toBe(stored.get(1));
    expect(backend.runningSnapshots).toBe(0);
  });

  it('stops copying once an unread snapshot is released (an aborted checkpoint)', async () => {
    const backend = open();
    backend.setCurrentKey('a');
    backend.put('l', '', [1]);
    backend.putTimer({ domain: 'PROCESSING_TIME', timestamp: 5, key: 'a', keyGroup: assignToKeyGroup('a', MAX_P), namespace: '' });
    const snapshot = await snapshotKeyedState(backend, false);
    expect(backend.runningSnapshots).toBe(1);
    const first = backend.get('l', '');
    releaseKeyedStateSnapshot(snapshot);
    releaseKeyedStateSnapshot(snapshot);
    expect(backend.runningSnapshots).toBe(0);
    expect(replacedCount(backend)).toBe(0);
    expect(backend.get('l', '')).toBe(first);
    if (snapshot.format !== 'canonical') throw new TypeError('memory snapshots are canonical');
    await expect(snapshot.entries[Symbol.asyncIterator]().next()).rejects.toThrow(/released/);
  });

  it('ends a snapshot whose reader stops early', async () => {
    const backend = open();
    for (let i = 0; i < 10; i++) (backend.setCurrentKey(i), backend.put('v', '', i));
    const entries = await backend.snapshotKeyGroups();
    for await (const _ of entries) break;
    expect(backend.runningSnapshots).toBe(0);
  });
});
