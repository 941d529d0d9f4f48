import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyBloomFilter } from '../../src/state/key-bloom-filter.js';
import { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';

const FULL = { start: 0, end: 127 };
const opened: LevelDbKeyedStateBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.dispose()));
});

async function open(cacheBytes: number): Promise<LevelDbKeyedStateBackend> {
  const path = join(mkdtempSync(join(tmpdir(), 'fluss-cache-')), 'op-0-0');
  const b = await LevelDbKeyedStateBackend.open({ maxParallelism: 128, keyGroupRange: FULL, operatorName: 'Window', path, cacheBytes });
  opened.push(b);
  return b;
}

describe('KeyBloomFilter', () => {
  it('never forgets an added key and rules out most others', () => {
    const f = new KeyBloomFilter(64 * 1024);
    const buf = Buffer.alloc(16);
    for (let i = 0; i < 20_000; i++) {
      buf.writeUInt32BE(i, 0);
      f.add(buf, 6);
    }
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) {
      buf.writeUInt32BE(i, 0);
      expect(f.mightContain(buf, 6)).toBe(true);
      buf.writeUInt32BE(i + 1_000_000, 0);
      if (f.mightContain(buf, 6)) falsePositives++;
    }
    expect(falsePositives).toBeLessThan(200);
  });

  it('grows with the keys added instead of saturating', () => {
    // Sized for 1024 keys, given a million: a fixed filter would answer "maybe" to nearly every key.
    const f = new KeyBloomFilter(1024);
    const buf = Buffer.alloc(16);
    for (let i = 0; i < 1_000_000; i++) {
      buf.writeUInt32BE(i, 0);
      f.add(buf, 6);
    }
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) {
      buf.writeUInt32BE(i * 7, 0);
      expect(f.mightContain(buf, 6)).toBe(true);
      buf.writeUInt32BE(i + 10_000_000, 0);
      if (f.mightContain(buf, 6)) falsePositives++;
    }
    // About 0.6 % per layer, over the ten layers a thousand-fold growth takes.
    expect(falsePositives).toBeLessThan(5_000);
    // About 12 bits per key (twice that at most, for the layers on the way).
    expect(f.memoryBytes).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('LevelDB write-back cache', () => {
  it('keeps every value across eviction with windows cleared in firing order (removals leave first)', async () => {
    // A bound far below the working set: entries spill to LevelDB and are read back.
    const b = await open(256 * 1024);
    b.registerState('window-contents', 'aggregating');
    const keys = 5_000;
    const windows = ['0:10', '2:12', '4:14'];
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < keys; k++) {
        b.setCurrentKey(k);
        for (const w of windows) b.put('window-contents', w, ((b.get('window-contents', w) as number | undefined) ?? 0) + 1);
      }
    }
    // Fire the first window for every key, then check the others are intact.
    for (let k = 0; k < keys; k++) {
      b.setCurrentKey(k);
      expect(b.get('window-contents', '0:10')).toBe(3);
      b.remove('window-contents', '0:10');
    }
    for (let k = 0; k < keys; k++) {
      b.setCurrentKey(k);
      expect(b.get('window-contents', '0:10')).toBeUndefined();
      expect(b.get('window-contents', '2:12')).toBe(3);
      expect(b.get('window-contents', '4:14')).toBe(3);
    }
    expect(b.cacheMemoryBytes).toBeLessThanOrEqual(256 * 1024);
    await b.flush();
    const entries = [];
    for await (const e of await b.snapshotKeyGroups()) entries.push(e);
    expect(entries.length).toBe(2 * keys);
  });

  it('reads keys restored around the cache (the filter of written keys no longer rules them out)', async () => {
    const source = await open(1024 * 1024);
    source.registerState('count', 'value');
    for (let k = 0; k < 100; k++) {
      source.setCurrentKey(k);
      source.put('count', 'w', k);
    }
    const snapshot = [];
    for await (const e of await source.snapshotKeyGroups()) snapshot.push(e);

    const target = await open(1024 * 1024);
    target.registerState('count', 'value');
    // A key written before the restore puts something in the filter.
    target.setCurrentKey(1_000);
    target.put('count', 'w', -1);
    await target.flush();
    await target.restore(snapshot);
    for (let k = 0; k < 100; k++) {
      target.setCurrentKey(k);
      expect(target.get('count', 'w')).toBe(k);
    }
  });
});
