import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyedStateBackendFactory, type KeyedStateBackendParameters } from '../../src/state/keyed-state-backend-factory.js';
import type { LevelDbKeyedStateBackend } from '../../src/state/leveldb-keyed-state-backend.js';
import { keyedOperatorsInSlot, ManagedMemoryPool, splitDatabaseShare } from '../../src/state/managed-memory.js';

const MB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function params(operatorId: string, subtaskIndex: number, keyedOperatorsInSlot: number): KeyedStateBackendParameters {
  return { jobId: 'job', operatorId, operatorName: operatorId, subtaskIndex, attemptNumber: 0, maxParallelism: 128, keyGroupRange: { start: 0, end: 127 }, keyedOperatorsInSlot };
}

describe('managed memory', () => {
  it('gives every slot an equal part and splits it among the slot keyed operators', () => {
    const pool = new ManagedMemoryPool(400 * MB, 2);
    const a = pool.acquire('job/0', 2, () => {});
    const b = pool.acquire('job/0', 2, () => {});
    const c = pool.acquire('job/1', 1, () => {});
    expect([a.bytes, b.bytes, c.bytes]).toEqual([100 * MB, 100 * MB, 200 * MB]);
  });

  it('shrinks the shares of a slot when more consumers than expected join, and grows them back', () => {
    const pool = new ManagedMemoryPool(300 * MB, 1);
    const resized: number[] = [];
    const a = pool.acquire('job/0', 1, (b) => resized.push(b));
    expect(a.bytes).toBe(300 * MB);
    const b = pool.acquire('job/0', 1, () => {});
    expect([a.bytes, b.bytes]).toEqual([150 * MB, 150 * MB]);
    b.release();
    expect(a.bytes).toBe(300 * MB);
    expect(resized).toEqual([150 * MB, 300 * MB]);
  });

  it('counts keyed operators of the slot of a subtask index', () => {
    const graph = {
      vertices: [
        { parallelism: 2, operators: [{ keyed: false }, { keyed: false }] },
        { parallelism: 2, operators: [{ keyed: true }, { keyed: false }] },
        { parallelism: 1, operators: [{ keyed: true }] },
      ],
    };
    expect(keyedOperatorsInSlot(graph, 0)).toBe(2);
    expect(keyedOperatorsInSlot(graph, 1)).toBe(1);
  });

  it('splits a database share into write-back cache, block cache and memtables within the share', () => {
    for (const share of [4 * MB, 64 * MB, 333 * MB, 2048 * MB]) {
      const s = splitDatabaseShare(share);
      expect(s.cacheBytes).toBe(Math.round(share * 0.75));
      expect(s.cacheBytes + s.blockCacheBytes + 2 * s.writeBufferBytes).toBeLessThanOrEqual(share + 2 * MB);
      expect(s.writeBufferBytes).toBeLessThanOrEqual(32 * MB);
    }
  });

  it('opens LevelDB databases with their share; an explicit cache size wins', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'fluss-managed-'));
    dirs.push(stateDir);
    const pool = new ManagedMemoryPool(256 * MB, 2);
    const factory = createKeyedStateBackendFactory({ kind: 'leveldb', stateDir, managedMemory: pool });
    const a = (await factory(params('a', 0, 2))) as LevelDbKeyedStateBackend;
    const b = (await factory(params('b', 0, 2))) as LevelDbKeyedStateBackend;
    expect(a.cacheBoundBytes).toBe(splitDatabaseShare(64 * MB).cacheBytes);
    // A third database in the slot (an overlapping attempt): every cache there shrinks ...
    const c = (await factory(params('c', 0, 2))) as LevelDbKeyedStateBackend;
    const third = splitDatabaseShare(Math.floor((128 * MB) / 3)).cacheBytes;
    expect([a.cacheBoundBytes, b.cacheBoundBytes, c.cacheBoundBytes]).toEqual([third, third, third]);
    // ... and grows back once it closes.
    await c.dispose();
    expect(a.cacheBoundBytes).toBe(splitDatabaseShare(64 * MB).cacheBytes);
    await a.dispose();
    await b.dispose();
    const explicit = (await createKeyedStateBackendFactory({ kind: 'leveldb', stateDir, cacheBytes: 5 * MB, managedMemory: pool })(params('d', 0, 1))) as LevelDbKeyedStateBackend;
    expect(explicit.cacheBoundBytes).toBe(5 * MB);
    await explicit.dispose();
  });
});
