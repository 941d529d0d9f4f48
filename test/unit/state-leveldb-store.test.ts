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
  it('applies batches in order, one write at a time, and reads them back synchronously', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fluss-ldb-')), 'job-x', 'db');
    const store = await LevelDbStore.open({ path });
    const written: number[] = [];
    store.onWritten = (seq) => written.push(seq);
    for (let round = 0; round < 20; round++) {
      const { batch } = store.batch();
      for (let i = 0; i < 1000; i++) {
        if (round % 2 === 1 && i % 2 === 0) batch.del(key(i));
        else batch.put(key(i), Buffer.from(`${round}`));
      }
      store.schedule();
      // While one batch is written, later writes collect in the next one.
      expect(store.backlog).toBeLessThanOrEqual(2);
      if (round % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    await store.whenWritten();
    expect(written.length).toBeGreaterThan(1);
    expect(written).toEqual([...written].sort((a, b) => a - b));
    expect(store.writtenSequence).toBe(written.at(-1));
    expect(store.backlog).toBe(0);
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
    const b = store.batch().batch;
    for (let i = 0; i < 100; i++) b.put(key(i), val(i));
    await store.whenWritten();
    const snap = store.iterator(key(0), key(1000));
    const later = store.batch().batch;
    for (let i = 0; i < 100; i++) later.put(key(i), Buffer.from('changed'));
    later.put(key(500), val(500));
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
