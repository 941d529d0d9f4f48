import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LevelDbStore } from '../../src/state/leveldb-store.js';

const key = (i: number) => Buffer.from(`k${String(i).padStart(8, '0')}`);
const val = (i: number) => Buffer.from(`value-${i}-${'x'.repeat(40)}`);

describe('LevelDbStore', () => {
  it('reads its own writes, across eviction and flushes, with a tiny cache', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fluss-ldb-')), 'db');
    const store = await LevelDbStore.open({ path, cacheBytes: 16 * 1024 });
    for (let i = 0; i < 20_000; i++) store.put(key(i), val(i));
    for (let i = 0; i < 20_000; i += 2) store.delete(key(i));
    expect(store.cachedBytes).toBeLessThanOrEqual(16 * 1024);
    for (let i = 0; i < 20_000; i++) {
      const v = store.get(key(i));
      if (i % 2 === 0) expect(v).toBeUndefined();
      else expect(v?.toString()).toBe(val(i).toString());
    }
    await store.flush();
    const seen: string[] = [];
    for await (const e of store.range(key(100), key(110))) seen.push(e.key.toString());
    expect(seen).toEqual([101, 103, 105, 107, 109].map((i) => key(i).toString()));
    await store.close();

    const reopened = await LevelDbStore.open({ path, cacheBytes: 1024 * 1024 });
    expect(reopened.get(key(19_999))?.toString()).toBe(val(19_999).toString());
    expect(reopened.get(key(0))).toBeUndefined();
    await reopened.destroy();
  });

  it('snapshots a consistent view while writes continue', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fluss-ldb-')), 'db');
    const store = await LevelDbStore.open({ path, cacheBytes: 1024 * 1024 });
    for (let i = 0; i < 100; i++) store.put(key(i), val(i));
    const snap = await store.snapshotRange(key(0), key(1000));
    for (let i = 0; i < 100; i++) store.put(key(i), Buffer.from('changed'));
    store.put(key(500), val(500));
    await store.flush();
    let n = 0;
    for await (const e of snap) {
      expect(e.value.toString()).toBe(val(Number(e.key.toString().slice(1))).toString());
      n++;
    }
    expect(n).toBe(100);
    await store.destroy();
  });
});
