import { describe, expect, it } from 'vitest';
import {
  ContinuousProcessingTimeTrigger,
  CountTrigger,
  DeltaEvictor,
  DeltaTrigger,
  EventTimeSessionWindows,
  GlobalWindows,
  InvalidArgumentError,
  OperatorTestHarness,
  ProcessingTimeSessionWindows,
  TumblingProcessingTimeWindows,
  type TimeWindow,
} from '../../src/index.js';

type Ev = { key: string; v: number; gap?: number };
const sum = (a: Ev, b: Ev): Ev => ({ key: a.key, v: a.v + b.v });

/** "key:sum[start,end)" per fired window. */
const describeWindow = (key: string, w: TimeWindow, items: Iterable<Ev>): string =>
  `${key}:${[...items].reduce((s, e) => s + e.v, 0)}[${w.getStart()},${w.getEnd()})`;

describe('EventTimeSessionWindows.withDynamicGap', () => {
  it('each element opens a session of its own gap; sessions merge while they overlap', async () => {
    const h = await OperatorTestHarness.forStream<Ev, string>((s) =>
      s
        .keyBy((e) => e.key)
        .window(EventTimeSessionWindows.withDynamicGap<Ev>((e) => e.gap!))
        .process({
          process(key: string, ctx: { window(): unknown }, items: Iterable<Ev>, out: { collect(s: string): void }) {
            out.collect(describeWindow(key, ctx.window() as TimeWindow, items));
          },
        } as never),
    );
    // a: [0,100) and [50,550) merge into [0,550); [600,610) is separate (gap 10 after 600).
    h.processElement({ key: 'a', v: 1, gap: 100 }, 0);
    h.processElement({ key: 'a', v: 2, gap: 500 }, 50);
    h.processElement({ key: 'a', v: 4, gap: 10 }, 600);
    // b with a fixed-size gap would have merged [0,100) and [150,...); a gap of 100 leaves them apart.
    h.processElement({ key: 'b', v: 1, gap: 100 }, 0);
    h.processElement({ key: 'b', v: 10, gap: 100 }, 150);
    h.processWatermark(1000);
    expect(h.extractOutputValues().sort()).toEqual(['a:3[0,550)', 'a:4[600,610)', 'b:10[150,250)', 'b:1[0,100)']);
    await h.close();
  });

  it('an object extractor (SessionWindowTimeGapExtractor) works; a gap <= 0 fails in one line', async () => {
    const h = await OperatorTestHarness.forStream<Ev, Ev>((s) =>
      s
        .keyBy((e) => e.key)
        .window(EventTimeSessionWindows.withDynamicGap<Ev>({ extract: (e) => e.gap! }))
        .reduce(sum),
    );
    h.processElement({ key: 'a', v: 1, gap: 10 }, 0);
    h.processWatermark(100);
    expect(h.extractOutputValues()).toEqual([{ key: 'a', v: 1, gap: 10 }]);
    expect(() => h.processElement({ key: 'a', v: 1, gap: 0 }, 200)).toThrow(/0 < gap/);
    await h.close();
    expect(() => EventTimeSessionWindows.withDynamicGap(42 as never)).toThrow(InvalidArgumentError);
  });
});

describe('ProcessingTimeSessionWindows.withDynamicGap', () => {
  it('sessions on processing time with a gap per element', async () => {
    const h = await OperatorTestHarness.forStream<Ev, Ev>((s) =>
      s
        .keyBy((e) => e.key)
        .window(ProcessingTimeSessionWindows.withDynamicGap<Ev>((e) => e.gap!))
        .reduce(sum),
    );
    h.setProcessingTime(0);
    h.processElement({ key: 'a', v: 1, gap: 1000 });
    h.setProcessingTime(500);
    h.processElement({ key: 'a', v: 2, gap: 100 }); // [500,600) inside [0,1000): one session
    h.setProcessingTime(998);
    expect(h.extractOutputValues()).toEqual([]);
    h.setProcessingTime(999); // the merged session [0,1000) ends at 999
    expect(h.extractOutputValues()).toEqual([{ key: 'a', v: 3 }]);
    await h.close();
  });
});

describe('ContinuousProcessingTimeTrigger', () => {
  it('fires every interval of processing time, aligned to the interval, and at the window end', async () => {
    const h = await OperatorTestHarness.forStream<Ev, Ev>((s) =>
      s
        .keyBy((e) => e.key)
        .window(TumblingProcessingTimeWindows.of(10_000))
        .trigger(ContinuousProcessingTimeTrigger.of(3000))
        .reduce(sum),
    );
    h.setProcessingTime(1500);
    h.processElement({ key: 'a', v: 1 });
    h.setProcessingTime(2999);
    expect(h.extractOutputValues()).toEqual([]);
    h.setProcessingTime(3000); // aligned: 0 + 3000
    expect(h.extractOutputValues()).toEqual([{ key: 'a', v: 1 }]);
    h.processElement({ key: 'a', v: 2 });
    h.setProcessingTime(6000);
    h.setProcessingTime(9000);
    h.processElement({ key: 'a', v: 4 });
    h.setProcessingTime(9999); // min(12000, window max 9999)
    expect(h.extractOutputValues()).toEqual([
      { key: 'a', v: 1 },
      { key: 'a', v: 3 },
      { key: 'a', v: 3 },
      { key: 'a', v: 7 },
    ]);
    h.setProcessingTime(30_000);
    expect(h.extractOutputValues()).toHaveLength(4); // the window was cleared at its end
    expect(h.numProcessingTimeTimers()).toBe(0);
    await h.close();
    expect(() => ContinuousProcessingTimeTrigger.of(0)).toThrow(InvalidArgumentError);
  });

  it('merges with processing-time sessions', async () => {
    const h = await OperatorTestHarness.forStream<Ev, Ev>((s) =>
      s
        .keyBy((e) => e.key)
        .window(ProcessingTimeSessionWindows.withGap(10_000))
        .trigger(ContinuousProcessingTimeTrigger.of(1000))
        .reduce(sum),
    );
    h.setProcessingTime(100);
    h.processElement({ key: 'a', v: 1 });
    h.setProcessingTime(200);
    h.processElement({ key: 'a', v: 2 });
    h.setProcessingTime(1000);
    expect(h.extractOutputValues()).toEqual([{ key: 'a', v: 3 }]);
    await h.close();
  });
});

describe('DeltaTrigger and DeltaEvictor', () => {
  const delta = (a: Ev, b: Ev): number => Math.abs(b.v - a.v);

  it('DeltaTrigger fires when the delta to the element that last fired exceeds the threshold', async () => {
    const h = await OperatorTestHarness.forStream<Ev, Ev>((s) =>
      s
        .keyBy((e) => e.key)
        .window(GlobalWindows.create())
        .trigger(DeltaTrigger.of<Ev>(5, delta))
        .reduce((a, b) => ({ key: a.key, v: b.v, gap: (a.gap ?? 1) + 1 })),
    );
    for (const v of [1, 3, 6, 7, 12, 14, 17]) h.processElement({ key: 'a', v });
    // reference 1: 6 is 5 (not > 5), 7 fires (ref 7); 12 is 5, 14 is 7 fires (ref 14); 17 is 3.
    expect(h.extractOutputValues()).toEqual([
      { key: 'a', v: 7, gap: 4 },
      { key: 'a', v: 14, gap: 6 },
    ]);
    await h.close();
  });

  it('DeltaTrigger takes an object with getDelta', async () => {
    const h = await OperatorTestHarness.forStream<Ev, Ev>((s) =>
      s
        .keyBy((e) => e.key)
        .window(GlobalWindows.create())
        .trigger(DeltaTrigger.of<Ev>(0.5, { getDelta: (a, b) => b.v / a.v - 1 }))
        .reduce(sum),
    );
    for (const v of [2, 2, 4]) h.processElement({ key: 'a', v });
    expect(h.extractOutputValues()).toEqual([{ key: 'a', v: 8 }]);
    await h.close();
  });

  it('DeltaEvictor removes elements whose delta to the last element is at least the threshold, before the function', async () => {
    const h = await OperatorTestHarness.forStream<Ev, string>((s) =>
      s
        .keyBy((e) => e.key)
        .window(GlobalWindows.create())
        .trigger(CountTrigger.of(5))
        .evictor(DeltaEvictor.of<Ev>(3, delta))
        .process({
          process(_k: string, _ctx: unknown, items: Iterable<Ev>, out: { collect(s: string): void }) {
            out.collect([...items].map((e) => e.v).join(','));
          },
        } as never),
    );
    for (const v of [1, 8, 5, 9, 7]) h.processElement({ key: 'a', v });
    // last 7: |1-7|=6 out, |8-7|=1 in, |5-7|=2 in, |9-7|=2 in, 7 in.
    expect(h.extractOutputValues()).toEqual(['8,5,9,7']);
    await h.close();
  });

  it('DeltaEvictor with doEvictAfter leaves the function the whole window and evicts afterwards', async () => {
    const h = await OperatorTestHarness.forStream<Ev, string>((s) =>
      s
        .keyBy((e) => e.key)
        .window(GlobalWindows.create())
        .trigger(CountTrigger.of(3))
        .evictor(DeltaEvictor.of<Ev>(3, delta, true))
        .process({
          process(_k: string, _ctx: unknown, items: Iterable<Ev>, out: { collect(s: string): void }) {
            out.collect([...items].map((e) => e.v).join(','));
          },
        } as never),
    );
    for (const v of [1, 8, 7]) h.processElement({ key: 'a', v });
    for (const v of [6, 9, 20]) h.processElement({ key: 'a', v });
    // first firing sees 1,8,7 and evicts 1; CountTrigger then fires on the 3rd element after it.
    expect(h.extractOutputValues()).toEqual(['1,8,7', '8,7,6,9,20']);
    await h.close();
  });
});
