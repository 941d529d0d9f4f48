import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LevelDbStore } from '../../src/state/leveldb-store.js';

const key = (i: number) => Buffer.from(`k${String(i).padStart(8, '0')}`);
const val = (i: number) => Buffer.from(`value-${i}-${'x'.repeat(40)}`);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('LevelDbStore', () => {
  it('applies batches in submission order and reads them back synchronously', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fluss-ldb-')), 'job-x', 'db');
    const store = await LevelDbStore.open({ path });
    const written: number[] = [];
    for (let round = 0; round < 20; round++) {
      const b = store.batch();
      for (let i = 0; i < 1000; i++) {
        if (round % 2 === 1 && i % 2 === 0) b.del(key(i));
        else b.put(key(i), Buffer.from(`${round}`));
      }
      store.submit(b, (seq) => written.push(seq));
    }
    await store.whenWritten();
    expect(written).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(store.writtenSequence).toBe(20);
    expect(store.getSync(key(0))).toBeUndefined();
    expect(store.getSync(key(1))?.toString()).toBe('19');
    const range = await collect(store.iterator(key(10), key(15)));
    expect(range.map(([k]) => k.toString())).toEqual([11, 13].map((i) => key(i).toString()));
    await store.destroy();
    expect(existsSync(path)).toBe(false);
    // The emptied job directory goes too.
    expect(existsSync(join(path, '..'))).toBe(false);
  });

  it('iterators read the database as of their creation while writes continue', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fluss-ldb-')), 'db');
    const store = await LevelDbStore.open({ path });
    const b = store.batch();
    for (let i = 0; i < 100; i++) b.put(key(i), val(i));
    store.submit(b);
    await store.whenWritten();
    const snap = store.iterator(key(0), key(1000));
    const later = store.batch();
    for (let i = 0; i < 100; i++) later.put(key(i), Buffer.from('changed'));
    later.put(key(500), val(500));
    store.submit(later);
    await store.whenWritten();
    const entries = await collect(snap);
    expect(entries).toHaveLength(100);
    for (const [k, v] of entries) expect(v.toString()).toBe(val(Number(k.toString().slice(1))).toString());
    await store.destroy();
  });

  it('starts fresh: whatever a previous run left in the directory is removed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fluss-ldb-')), 'db');
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'stale'), 'x');
    const store = await LevelDbStore.open({ path });
    expect(existsSync(join(path, 'stale'))).toBe(false);
    await store.destroy();
  });
});
