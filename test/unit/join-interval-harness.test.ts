import { describe, expect, it } from 'vitest';
import { OperatorTestHarness, OutputTag, type Collector, type DataStream, type ProcessJoinContext } from '../../src/api/index.js';
import { JobBuildError } from '../../src/core/errors.js';

interface L { k: string; l: number }
interface R { k: string; r: number }

type Bounds = { lower: number; upper: number; lowerExclusive?: boolean; upperExclusive?: boolean };

function harness(b: Bounds, late?: { left?: OutputTag<L>; right?: OutputTag<R> }) {
  return OperatorTestHarness.forTwoInputStreams((left: DataStream<L>, right: DataStream<R>) => {
    const joined = left.keyBy((x) => x.k).intervalJoin(right.keyBy((x) => x.k)).between(b.lower, b.upper);
    if (b.lowerExclusive) joined.lowerBoundExclusive();
    if (b.upperExclusive) joined.upperBoundExclusive();
    if (late?.left) joined.sideOutputLeftLateData(late.left);
    if (late?.right) joined.sideOutputRightLateData(late.right);
    return joined.process((a: L, c: R, ctx: ProcessJoinContext, out: Collector<string>) =>
      out.collect(`${a.k}:${a.l}-${c.r}@${ctx.getLeftTimestamp()},${ctx.getRightTimestamp()}`),
    );
  });
}

/** Every pair the interval join must produce, computed directly. */
function expected(lefts: [string, number][], rights: [string, number][], b: Bounds): string[] {
  const out: string[] = [];
  for (const [lk, lt] of lefts) {
    for (const [rk, rt] of rights) {
      if (lk !== rk) continue;
      const lo = lt + b.lower;
      const hi = lt + b.upper;
      if (rt < lo || rt > hi || (b.lowerExclusive && rt === lo) || (b.upperExclusive && rt === hi)) continue;
      out.push(`${lk}:${lt}-${rt}@${lt},${rt}`);
    }
  }
  return out.sort();
}

describe('interval join in the harness', () => {
  const lefts: [string, number][] = [['a', 10], ['a', 20], ['b', 15], ['a', 30]];
  const rights: [string, number][] = [['a', 8], ['a', 12], ['b', 14], ['a', 20], ['a', 25], ['b', 40], ['a', 31]];

  for (const b of [
    { lower: -2, upper: 2 },
    { lower: -2, upper: 2, lowerExclusive: true },
    { lower: -2, upper: 2, upperExclusive: true },
    { lower: 0, upper: 5, lowerExclusive: true, upperExclusive: true },
    { lower: -10, upper: -1 },
    { lower: 1, upper: 10 },
  ] as Bounds[]) {
    it(`joins exactly the pairs within ${JSON.stringify(b)}, whichever side arrives first`, async () => {
      const h = await harness(b);
      // Interleave both sides in timestamp order, so each side sometimes comes first.
      const all = [...lefts.map((x) => ['L', ...x] as const), ...rights.map((x) => ['R', ...x] as const)].sort((x, y) => x[2] - y[2]);
      for (const [side, k, ts] of all) {
        if (side === 'L') h.processElement1({ k, l: ts }, ts);
        else h.processElement2({ k, r: ts }, ts);
      }
      expect(h.extractOutputValues().sort()).toEqual(expected(lefts, rights, b));
      // Results carry the larger of both timestamps.
      for (const rec of h.extractOutputRecords()) {
        const [, ts] = rec.value.split('@');
        expect(rec.timestamp).toBe(Math.max(...ts!.split(',').map(Number)));
      }
      await h.close();
    });
  }

  it('cleans each side up once the watermark passes its last possible partner', async () => {
    const h = await harness({ lower: -5, upper: 10 });
    h.processElement1({ k: 'a', l: 100 }, 100);
    h.processElement2({ k: 'a', r: 200 }, 200);
    expect(await h.numKeyedStateEntries()).toBe(2);
    // Left 100 may still meet rights up to 110: its timer is at 110.
    h.processWatermark(109);
    h.processElement2({ k: 'a', r: 109 }, 109);
    expect(h.extractOutputValues()).toEqual(['a:100-109@100,109']);
    h.processWatermark(110);
    // Right 200 waits for lefts down to 190 (timer at 205); right 109 was cleaned at 110+5.
    h.processWatermark(205);
    expect(await h.numKeyedStateEntries()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
    await h.close();
  });

  it('drops late elements or sends them to the late side outputs', async () => {
    const lateLeft = new OutputTag<L>('late-left');
    const lateRight = new OutputTag<R>('late-right');
    const h = await harness({ lower: -5, upper: 5 }, { left: lateLeft, right: lateRight });
    h.processWatermark(100);
    h.processElement1({ k: 'a', l: 99 }, 99);
    h.processElement2({ k: 'a', r: 98 }, 98);
    h.processElement1({ k: 'a', l: 100 }, 100);
    h.processElement2({ k: 'a', r: 101 }, 101);
    expect(h.extractOutputValues()).toEqual(['a:100-101@100,101']);
    expect(h.getSideOutput(lateLeft)).toEqual([{ value: { k: 'a', l: 99 }, timestamp: 99 }]);
    expect(h.getSideOutput(lateRight)).toEqual([{ value: { k: 'a', r: 98 }, timestamp: 98 }]);
    await h.close();
  });

  it('fails clearly on elements without timestamps and on bad bounds', async () => {
    const h = await harness({ lower: -1, upper: 1 });
    expect(() => h.processElement2({ k: 'a', r: 1 })).toThrow(/Interval Join: an element of the right input has no timestamp/);
    await h.close();
    await expect(harness({ lower: 2, upper: 1 })).rejects.toThrow(JobBuildError);
  });
});
