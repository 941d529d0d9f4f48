import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VOID_NAMESPACE } from '../../src/state/keyed-state-backend.js';
import { CacheEntry } from '../../src/state/leveldb-cache-entry.js';
import { KeyTable } from '../../src/state/leveldb-key-table.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';
import { LevelDbStore } from '../../src/state/leveldb-store.js';

const FULL = { start: 0, end: 127 };
const VOID = VOID_NAMESPACE;
const opened: LevelDbKeyedStateBackend[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((b) => b.dispose()));
});

async function open(cacheBytes: number): Promise<LevelDbKeyedStateBackend> {
  const path = join(mkdtempSync(join(tmpdir(), 'fluss-window-')), 'op-0-0');
  const b = await LevelDbKeyedStateBackend.open({ maxParallelism: 128, keyGroupRange: FULL, operatorName: 'Count', path, cacheBytes });
  b.registerState('count', 'value');
  opened.push(b);
  return b;
}

/** One record: read the count of `key`, write it back incremented. */
function bump(b: LevelDbKeyedStateBackend, key: string): number {
  b.setCurrentKey(key);
  const v = ((b.get('count', VOID) as number | undefined) ?? 0) + 1;
  b.put('count', VOID, v);
  return v;
}

describe('KeyTable', () => {
  it('answers as a Map does under any sequence of adds and deletes', () => {
    const key = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constantFrom('a', 'b', 'c', '', 'user-1', NaN, 0.5, -0, true, false, null, undefined));
    const op = fc.tuple(fc.constantFrom('add', 'delete', 'get'), key);
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const table = new KeyTable(2);
        const model = new Map<unknown, CacheEntry>();
        const state = { id: 1, voidTable: table, tables: new Map() };
        for (const [kind, k] of ops) {
          if (kind === 'add' && !model.has(k)) {
            const e = new CacheEntry(state, table, k, k, 0, VOID, 1, 0);
            table.add(e);
            model.set(k, e);
          } else if (kind === 'delete') expect(table.delete(k)).toBe(model.delete(k));
          expect(table.get(k)).toBe(model.get(k));
          expect(table.size).toBe(model.size);
        }
        for (const [k, e] of model) expect(table.get(k)).toBe(e);
      }),
      { numRuns: 300 },
    );
  });
});

describe('LevelDB write-back cache admission window', () => {
  it('keeps state that fits cached, and lets keys used once pass through a full cache without pushing a reused key out', async () => {
    const b = await open(2 * 1024 * 1024);
    const reads = vi.spyOn(LevelDbStore.prototype, 'getSync');
    bump(b, 'hot');
    bump(b, 'hot'); // a second record: the key earns the main list
    for (let i = 0; i < 50_000; i++) {
      bump(b, `once-${i}`);
      if (i % 2048 === 0) await new Promise((r) => setImmediate(r));
    }
    await b.flush();
    expect(b.cacheMemoryBytes).toBeLessThanOrEqual(b.cacheBoundBytes);
    reads.mockClear();
    // The oldest entry of the main list, yet the flood did not push it out.
    expect(bump(b, 'hot')).toBe(3);
    // Keys that came while the cache had room stayed: no read.
    expect(bump(b, 'once-0')).toBe(2);
    expect(reads).not.toHaveBeenCalled();
    // Keys that came once it was full passed through: read back from LevelDB, with their value.
    expect(bump(b, 'once-45000')).toBe(2);
    expect(reads).toHaveBeenCalledTimes(1);
    // Read back from LevelDB, it was cached before: it stays now, through another flood.
    for (let i = 0; i < 20_000; i++) bump(b, `again-${i}`);
    reads.mockClear();
    expect(bump(b, 'once-45000')).toBe(3);
    expect(bump(b, 'hot')).toBe(4);
    expect(reads).not.toHaveBeenCalled();
  });

  it('gives an entry of the main list used by a later record a second chance before evicting it', async () => {
    const b = await open(256 * 1024);
    const reads = vi.spyOn(LevelDbStore.prototype, 'getSync');
    // Two records each: the keys earn the main list, k-0 its oldest entry.
    for (let i = 0; i < 600; i++) (bump(b, `k-${i}`), bump(b, `k-${i}`));
    expect(bump(b, 'k-0')).toBe(3);
    // More keys of the main list than the cache holds beside them: the oldest entries go.
    for (let i = 0; i < 600; i++) (bump(b, `m-${i}`), bump(b, `m-${i}`));
    await b.flush();
    expect(b.cacheMemoryBytes).toBeLessThanOrEqual(b.cacheBoundBytes);
    reads.mockClear();
    // k-0 was used after k-1 was: k-1 went, k-0 stayed.
    expect(bump(b, 'k-0')).toBe(4);
    expect(reads).not.toHaveBeenCalled();
    expect(bump(b, 'k-1')).toBe(3);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('loses no update while keys leave the window with their batches written or still in flight', async () => {
    const b = await open(256 * 1024);
    const expected = new Map<string, number>();
    for (let i = 0; i < 40_000; i++) {
      const k = `k-${i}`;
      expected.set(k, bump(b, k));
      // Revisits at distances below, around and beyond the window's size.
      for (const back of [3, 70, 700, 9_000]) {
        if (i % back === 0 && i >= back) {
          const r = `k-${i - back}`;
          expected.set(r, bump(b, r));
        }
      }
      // Sometimes batches complete in between, sometimes the window runs ahead of them.
      if (i % 5_000 < 2_500 && i % 512 === 0) await new Promise((r) => setImmediate(r));
    }
    for (const [k, v] of expected) {
      b.setCurrentKey(k);
      expect(b.get('count', VOID)).toBe(v);
    }
    await b.flush();
    for (const [k, v] of expected) {
      b.setCurrentKey(k);
      expect(b.get('count', VOID)).toBe(v);
    }
  });
});
