import { describe, expect, it } from 'vitest';
import {
  assignToKeyGroup,
  computeOperatorIndexForKeyGroup,
  defaultMaxParallelism,
  keyGroupRangeForOperator,
  murmurHash,
  stringHash,
} from '../../src/state/key-groups.js';

describe('key groups', () => {
  it('hashes strings like Java String.hashCode', () => {
    expect(stringHash('hello')).toBe(99162322);
    expect(stringHash('')).toBe(0);
  });

  it('murmur mixing is non-negative and spreads', () => {
    const seen = new Set<number>();
    for (let i = -1000; i < 1000; i++) {
      const h = murmurHash(i);
      expect(h).toBeGreaterThanOrEqual(0);
      seen.add(h % 128);
    }
    expect(seen.size).toBe(128);
  });

  it('ranges partition [0, maxParallelism) and agree with the owner function', () => {
    for (const [maxP, p] of [[128, 1], [128, 3], [128, 4], [256, 7], [10, 10]] as const) {
      let next = 0;
      for (let i = 0; i < p; i++) {
        const r = keyGroupRangeForOperator(maxP, p, i);
        expect(r.start).toBe(next);
        for (let kg = r.start; kg <= r.end; kg++) expect(computeOperatorIndexForKeyGroup(maxP, p, kg)).toBe(i);
        next = r.end + 1;
      }
      expect(next).toBe(maxP);
    }
  });

  it('assigns equal keys to equal groups, whatever their identity', () => {
    expect(assignToKeyGroup(['a', 1], 128)).toBe(assignToKeyGroup(['a', 1], 128));
    expect(assignToKeyGroup({ b: 2, a: 1 }, 128)).toBe(assignToKeyGroup({ a: 1, b: 2 }, 128));
    expect(assignToKeyGroup(1.5, 128)).toBe(assignToKeyGroup(1.5, 128));
  });

  it('uses Flink\'s default max parallelism', () => {
    expect(defaultMaxParallelism(1)).toBe(128);
    expect(defaultMaxParallelism(100)).toBe(256);
    expect(defaultMaxParallelism(100000)).toBe(32768);
  });
});
