import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LevelDbStore } from '../../src/state/leveldb-store.js';
import { decodeNativeRecordBytes, NativeRecordEncoder } from '../../src/state/native-record-codec.js';

/** A LevelDB-layout key: key group, state id, then the user key bytes. */
function layoutKey(keyGroup: number, stateId: number, user: string): Buffer {
  const b = Buffer.alloc(4 + user.length);
  b.writeUInt16BE(keyGroup, 0);
  b.writeUInt16BE(stateId, 2);
  b.write(user, 4, 'latin1');
  return b;
}

describe('native record decoding by key group', () => {
  it('returns exactly the records of the requested key groups, deletions included, and the same end offset', () => {
    const enc = new NativeRecordEncoder(1 << 20);
    const all: [number, string, string | undefined][] = [];
    for (let i = 0; i < 500; i++) {
      const kg = (i * 7) % 128;
      const k = layoutKey(kg, 1, `key-${i}`);
      if (i % 11 === 0) {
        enc.delete(k, k.length);
        all.push([kg, `key-${i}`, undefined]);
      } else {
        const v = Buffer.from(`value-${i}`);
        enc.put(k, k.length, v);
        all.push([kg, `key-${i}`, `value-${i}`]);
      }
    }
    const buf = Buffer.concat(enc.finish());
    const whole = decodeNativeRecordBytes(buf, 0, true);
    const some = decodeNativeRecordBytes(buf, 0, true, { start: 32, end: 63 });
    expect(whole.records).toHaveLength(500);
    expect(some.end).toBe(whole.end);
    const got = some.records.map(([k, v]) => [k.readUInt16BE(0), k.subarray(4).toString('latin1'), v?.toString()]);
    expect(got).toEqual(all.filter(([kg]) => kg >= 32 && kg <= 63));
    expect(got.length).toBeGreaterThan(50);
  });

  it('a record cut off by the end of the buffer is left for the next chunk, filtered or not', () => {
    const enc = new NativeRecordEncoder(1 << 20);
    enc.put(layoutKey(5, 1, 'a'), 5, Buffer.from('xyz'));
    enc.put(layoutKey(90, 1, 'b'), 5, Buffer.from('uvw'));
    const buf = Buffer.concat(enc.finish());
    const cut = buf.subarray(0, buf.length - 1);
    const filtered = decodeNativeRecordBytes(cut, 0, true, { start: 64, end: 127 });
    expect(filtered.records).toHaveLength(0);
    expect(filtered.end).toBe(decodeNativeRecordBytes(cut, 0, true).end);
    expect(filtered.end).toBeLessThan(cut.length);
  });
});

describe('LevelDbStore.whenWrittenUpTo', () => {
  it('resolves once the given batch is written while later batches are still collecting', async () => {
    const store = await LevelDbStore.open({ path: join(mkdtempSync(join(tmpdir(), 'fluss-ldb-upto-')), 'db') });
    const first = store.batch();
    for (let i = 0; i < 1000; i++) first.batch.put(Buffer.from(`a${i}`), Buffer.from('1'));
    store.schedule();
    const mark = store.submittedSequence;
    const second = store.batch();
    second.batch.put(Buffer.from('later'), Buffer.from('2'));
    await store.whenWrittenUpTo(mark);
    expect(store.writtenSequence).toBeGreaterThanOrEqual(mark);
    expect(store.getSync(Buffer.from('a999'))?.toString()).toBe('1');
    await store.whenWritten();
    expect(store.getSync(Buffer.from('later'))?.toString()).toBe('2');
    await store.destroy();
  });
});
