import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateFileHandle } from '../../src/checkpoint/checkpoint-types.js';
import {
  isNativeKeyedStateFile,
  restoreNativeKeyedState,
  openNativeKeyedStateFile,
  writeNativeKeyedStateFile,
} from '../../src/checkpoint/native-keyed-state-file.js';
import { DamagedCheckpointError } from '../../src/checkpoint/state-files.js';
import { assignToKeyGroup, keyGroupRangeForOperator, type KeyGroupRange } from '../../src/state/key-groups.js';
import type { KeyedStateBackend, KeyedStateEntry, TimerEntry } from '../../src/state/keyed-state-backend.js';
import { snapshotKeyedState } from '../../src/state/keyed-state-snapshot.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';
import { MemoryKeyedStateBackend } from '../../src/state/memory-keyed-state-backend.js';
import { KeyWriter } from '../../src/state/key-codec.js';
import { VOID_NAMESPACE } from '../../src/state/keyed-state-backend.js';
import { writeStateKey } from '../../src/state/leveldb-key-layout.js';
import { serializeValue } from '../../src/state/value-codec.js';

const MAX_P = 128;
let dirs: string[] = [];
let backends: KeyedStateBackend[] = [];
afterEach(async () => {
  for (const b of backends) await b.dispose();
  backends = [];
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fluss-native-'));
  dirs.push(d);
  return d;
}

let dbs = 0;
async function leveldb(range: KeyGroupRange, dir: string): Promise<LevelDbKeyedStateBackend> {
  const b = await LevelDbKeyedStateBackend.open({ maxParallelism: MAX_P, keyGroupRange: range, operatorName: 'Op', path: join(dir, `db-${dbs++}`), cacheBytes: 1 << 20 });
  backends.push(b);
  return b;
}

/** An entry as comparable text (Maps of either backend as their entries). */
const norm = (e: KeyedStateEntry): string => JSON.stringify([e.keyGroup, e.stateName, e.key, e.namespace, e.value instanceof Map ? [...e.value] : e.value]);

/** Every entry of a backend, canonical, as sorted text. */
async function contents(b: KeyedStateBackend): Promise<string[]> {
  const out: string[] = [];
  for await (const e of await b.snapshotKeyGroups()) out.push(norm(e));
  return out.sort();
}

/** The contents of `b` now (a canonical read, which flushes its cache), then `then` changes them. */
async function contentsAfter(b: LevelDbKeyedStateBackend, then: () => void): Promise<string[]> {
  const now = await contents(b);
  then();
  return now;
}

async function timers(b: KeyedStateBackend): Promise<TimerEntry[]> {
  const out: TimerEntry[] = [];
  for await (const t of b.timers()) out.push(t);
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

/** Fills keys `0..n-1` owned by `b`: a count, a list per window namespace, a map, timers. */
function fill(b: KeyedStateBackend, keys: string[], order: 'ab' | 'ba'): void {
  for (const name of order === 'ab' ? ['count', 'items'] : ['items', 'count']) b.registerState(name, name === 'count' ? 'value' : 'list');
  b.registerState('tags', 'map');
  for (const [i, k] of keys.entries()) {
    b.setCurrentKey(k);
    b.put('count', '', i);
    b.put('items', i % 3, [i, `v${i}`]);
    b.put('tags', '', new Map([[`t${i}`, { n: i }]]));
    b.putTimer({ domain: i % 2 ? 'EVENT_TIME' : 'PROCESSING_TIME', timestamp: 1000 + i, key: k, keyGroup: b.getCurrentKeyGroup(), namespace: '' });
  }
}

function keysOf(range: KeyGroupRange, n: number, prefix = 'key'): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = `${prefix}-${i}`;
    const kg = assignToKeyGroup(k, MAX_P);
    if (kg >= range.start && kg <= range.end) out.push(k);
  }
  return out;
}

/** Native checkpoint of `b` into `dir`: the synchronous part, then the file. */
async function checkpoint(b: LevelDbKeyedStateBackend, dir: string, name: string): Promise<StateFileHandle> {
  const snap = await snapshotKeyedState(b, false);
  expect(snap.format).toBe('leveldb-native');
  if (snap.format !== 'leveldb-native') throw new Error('not native');
  return writeNativeKeyedStateFile(dir, name, snap.native);
}

describe('native LevelDB keyed state snapshots', () => {
  it('restores raw records into a fresh LevelDB backend: states, namespaces, maps and timers', async () => {
    const dir = await tmp();
    const range = { start: 0, end: MAX_P - 1 };
    const src = await leveldb(range, dir);
    fill(src, keysOf(range, 500), 'ab');
    const handle = await checkpoint(src, dir, 'op-0-keyed');
    expect(await isNativeKeyedStateFile(dir, handle)).toBe(true);

    const ref = await openNativeKeyedStateFile(dir, handle);
    expect(ref.header.states).toEqual([[1, 'count'], [2, 'items'], [3, 'tags']]);
    const dst = await leveldb(range, dir);
    await restoreNativeKeyedState(dst, [ref]);
    expect(await contents(dst)).toEqual(await contents(src));
    const t = await timers(dst);
    expect(t).toHaveLength(500);
    expect(t).toEqual(await timers(src));
    // Restored states read back through the cache once the operator registers them.
    dst.registerState('tags', 'map');
    dst.setCurrentKey('key-0');
    expect([...(dst.get('tags', '') as Map<unknown, unknown>)]).toEqual([['t0', { n: 0 }]]);
  });

  it('does not contain writes made after the synchronous part, though processing goes on at once', async () => {
    const dir = await tmp();
    const range = { start: 0, end: MAX_P - 1 };
    const src = await leveldb(range, dir);
    const keys = keysOf(range, 2000);
    fill(src, keys, 'ab');
    const before = await contents(src);
    const snap = await snapshotKeyedState(src, false);
    // The task goes on: overwrite, remove and add before the iterator was even opened.
    for (const [i, k] of keys.entries()) {
      src.setCurrentKey(k);
      if (i % 2) src.remove('count', '');
      else src.put('count', '', -1);
    }
    src.setCurrentKey('late');
    src.put('count', '', 42);
    if (snap.format !== 'leveldb-native') throw new Error('not native');
    const handle = await writeNativeKeyedStateFile(dir, 'f', snap.native);
    const dst = await leveldb(range, dir);
    await restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, handle)]);
    expect(await contents(dst)).toEqual(before);
  });

  it.each([
    [2, 3],
    [2, 1],
  ])('rescales %i → %i by key group, re-mapping state ids by name', async (from, to) => {
    const dir = await tmp();
    const handles: StateFileHandle[] = [];
    const all: string[] = [];
    for (let i = 0; i < from; i++) {
      const range = keyGroupRangeForOperator(MAX_P, from, i);
      const b = await leveldb(range, dir);
      // Different registration orders: state ids differ between the old subtasks.
      fill(b, keysOf(range, 300), i % 2 ? 'ba' : 'ab');
      handles.push(await checkpoint(b, dir, `op-${i}-keyed`));
      all.push(...(await contents(b)));
    }
    const restored: string[] = [];
    let timerCount = 0;
    for (let j = 0; j < to; j++) {
      const range = keyGroupRangeForOperator(MAX_P, to, j);
      const b = await leveldb(range, dir);
      const refs = [];
      for (const h of handles) refs.push(await openNativeKeyedStateFile(dir, h));
      await restoreNativeKeyedState(b, refs);
      const got = await contents(b);
      for (const e of got) {
        const kg = JSON.parse(e)[0] as number;
        expect(kg >= range.start && kg <= range.end).toBe(true);
      }
      restored.push(...got);
      const t = await timers(b);
      for (const x of t) expect(x.keyGroup >= range.start && x.keyGroup <= range.end).toBe(true);
      timerCount += t.length;
    }
    expect(restored.sort()).toEqual(all.sort());
    expect(timerCount).toBe(300 * from);
  });

  it('decodes a native file into the memory backend (the job changed its backend)', async () => {
    const dir = await tmp();
    const src = await leveldb({ start: 0, end: 63 }, dir);
    fill(src, keysOf({ start: 0, end: 63 }, 200), 'ab');
    const handle = await checkpoint(src, dir, 'f');
    const mem = new MemoryKeyedStateBackend({ maxParallelism: MAX_P, keyGroupRange: { start: 32, end: 95 }, operatorName: 'Op' });
    backends.push(mem);
    await restoreNativeKeyedState(mem, [await openNativeKeyedStateFile(dir, handle)]);
    const expected = (await contents(src)).filter((e) => (JSON.parse(e)[0] as number) >= 32);
    expect(expected.length).toBeGreaterThan(0);
    expect(await contents(mem)).toEqual(expected);
  });

  it('refuses a file whose bytes do not match the checksum, or that is cut short', async () => {
    const dir = await tmp();
    const src = await leveldb({ start: 0, end: MAX_P - 1 }, dir);
    fill(src, keysOf({ start: 0, end: MAX_P - 1 }, 100), 'ab');
    const handle = await checkpoint(src, dir, 'f');
    const bytes = await readFile(join(dir, 'f'));
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 3] ^= 0xff;
    await writeFile(join(dir, 'f'), flipped);
    // The header is intact: the file opens, and the pass that reads the records refuses it.
    const ref = await openNativeKeyedStateFile(dir, handle);
    const dst = await leveldb({ start: 0, end: MAX_P - 1 }, dir);
    await expect(restoreNativeKeyedState(dst, [ref])).rejects.toThrow(DamagedCheckpointError);
    await expect(restoreNativeKeyedState(dst, [ref])).rejects.toThrow(/damaged checkpoint .*does not match its checksum/);
    // A file of another size is refused when opened.
    await writeFile(join(dir, 'f'), Buffer.concat([bytes, Buffer.from([0])]));
    await expect(openNativeKeyedStateFile(dir, handle)).rejects.toThrow(/damaged checkpoint .*has \d+ bytes, expected/);
    // Cut inside a record (with a handle that matches the cut file): refused too.
    const cut = bytes.subarray(0, bytes.length - 5);
    await writeFile(join(dir, 'f'), cut);
    const cutHandle = { ...handle, size: cut.length, checksum: createHash('sha256').update(cut).digest('hex') };
    await expect(restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, cutHandle)])).rejects.toThrow(/ends inside a record/);
  });

  it('carries the changes not in the database yet: puts over written values, deletions, timer deletions', async () => {
    const dir = await tmp();
    const range = { start: 0, end: MAX_P - 1 };
    const src = await LevelDbKeyedStateBackend.open({ maxParallelism: MAX_P, keyGroupRange: range, operatorName: 'Op', path: join(dir, 'big'), cacheBytes: 64 << 20 });
    backends.push(src);
    const keys = keysOf(range, 600);
    fill(src, keys, 'ab');
    // Everything so far is in the database; what follows stays in the cache only.
    await src.flush();
    for (const [i, k] of keys.entries()) {
      src.setCurrentKey(k);
      if (i % 3 === 0) src.remove('count', '');
      else if (i % 3 === 1) src.put('count', '', i * 10);
      if (i % 2 === 0) src.deleteTimer({ domain: i % 2 ? 'EVENT_TIME' : 'PROCESSING_TIME', timestamp: 1000 + i, key: k, keyGroup: src.getCurrentKeyGroup(), namespace: '' });
    }
    for (const k of keysOf(range, 50, 'new')) {
      src.setCurrentKey(k);
      src.put('count', '', 7);
      src.putTimer({ domain: 'EVENT_TIME', timestamp: 5, key: k, keyGroup: src.getCurrentKeyGroup(), namespace: '' });
    }
    const snap = await snapshotKeyedState(src, false);
    if (snap.format !== 'leveldb-native') throw new Error('not native');
    // 400 changed counts (200 removed, 200 rewritten), 300 timer deletions, 50 new counts, 50 new timers.
    expect(snap.native.unwritten.records).toBe(800);
    const handle = await writeNativeKeyedStateFile(dir, 'f', snap.native);
    const expected = await contents(src);
    expect(expected.filter((e) => JSON.parse(e)[1] === 'count')).toHaveLength(400 + 50);

    const dst = await leveldb(range, dir);
    await restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, handle)]);
    expect(await contents(dst)).toEqual(expected);
    expect(await timers(dst)).toEqual(await timers(src));
    expect(await timers(dst)).toHaveLength(300 + 50);
    const mem = new MemoryKeyedStateBackend({ maxParallelism: MAX_P, keyGroupRange: range, operatorName: 'Op' });
    backends.push(mem);
    await restoreNativeKeyedState(mem, [await openNativeKeyedStateFile(dir, handle)]);
    expect(await contents(mem)).toEqual(expected);
    expect(await timers(mem)).toHaveLength(300 + 50);
  });

  it('holds the values of the barrier although the task mutates them in place, evicts them or snapshots again before the files are written', async () => {
    const dir = await tmp();
    const range = { start: 0, end: MAX_P - 1 };
    // A small cache: the writes after the barrier evict captured entries.
    const src = await leveldb(range, dir);
    src.registerState('items', 'list');
    const keys = keysOf(range, 3000);
    const mutateAll = (round: number): void => {
      for (const k of keys) {
        src.setCurrentKey(k);
        // As ListState.add does: the cached array itself grows, then goes back.
        const list = (src.get('items', '') as number[] | undefined) ?? [];
        list.push(round);
        src.put('items', '', list);
      }
    };
    mutateAll(1);
    const first = await snapshotKeyedState(src, false);
    const atFirst = await contentsAfter(src, () => mutateAll(2));
    const second = await snapshotKeyedState(src, false);
    const atSecond = await contentsAfter(src, () => {
      mutateAll(3);
      for (const k of keysOf(range, 2000, 'other')) {
        src.setCurrentKey(k);
        src.put('items', '', [0, 0, 0, 0]);
      }
    });
    if (first.format !== 'leveldb-native' || second.format !== 'leveldb-native') throw new Error('not native');
    // The later snapshot is written first; the earlier one still has its own values.
    const h2 = await writeNativeKeyedStateFile(dir, 'second', second.native);
    const h1 = await writeNativeKeyedStateFile(dir, 'first', first.native);
    for (const [handle, expected] of [
      [h1, atFirst],
      [h2, atSecond],
    ] as const) {
      const dst = await leveldb(range, dir);
      await restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, handle)]);
      expect(await contents(dst)).toEqual(expected);
    }
    expect(atFirst[0]).toMatch(/\[1\]\]$/);
    expect(atSecond[0]).toMatch(/\[1,2\]\]$/);
  });

  it('reads files of version 1 (no deletions)', async () => {
    const dir = await tmp();
    const w = new KeyWriter();
    const records: Buffer[] = [];
    for (const [i, k] of ['a', 'b', 'c'].entries()) {
      w.reset();
      writeStateKey(w, assignToKeyGroup(k, MAX_P), 1, k, VOID_NAMESPACE);
      const v = serializeValue(i + 1);
      records.push(Buffer.from([w.pos, v.length]), w.toBuffer(), v);
    }
    const header = Buffer.from(JSON.stringify({ format: 'fluss-keyed-state-native', version: 1, backend: 'leveldb', keyGroupRange: { start: 0, end: MAX_P - 1 }, states: [[1, 'count']] }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(header.length);
    const bytes = Buffer.concat([Buffer.from('FLUSSKN1', 'latin1'), len, header, ...records]);
    await writeFile(join(dir, 'v1'), bytes);
    const handle = { path: 'v1', size: bytes.length, checksum: createHash('sha256').update(bytes).digest('hex') };
    expect(await isNativeKeyedStateFile(dir, handle)).toBe(true);
    const dst = await leveldb({ start: 0, end: MAX_P - 1 }, dir);
    await restoreNativeKeyedState(dst, [await openNativeKeyedStateFile(dir, handle)]);
    expect(await contents(dst)).toEqual(
      ['a', 'b', 'c'].map((k, i) => JSON.stringify([assignToKeyGroup(k, MAX_P), 'count', k, '', i + 1])).sort(),
    );
  });

  it('savepoints stay canonical on the LevelDB backend', async () => {
    const dir = await tmp();
    const src = await leveldb({ start: 0, end: MAX_P - 1 }, dir);
    fill(src, keysOf({ start: 0, end: MAX_P - 1 }, 10), 'ab');
    const snap = await snapshotKeyedState(src, true);
    expect(snap.format).toBe('canonical');
    const mem = new MemoryKeyedStateBackend({ maxParallelism: MAX_P, keyGroupRange: { start: 0, end: MAX_P - 1 }, operatorName: 'Op' });
    expect((await snapshotKeyedState(mem, false)).format).toBe('canonical');
  });
});
