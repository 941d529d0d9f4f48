import { describe, expect, it } from 'vitest';
import {
  EventTimeSessionWindows,
  GlobalWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from '../../src/common/windowing/window-assigners.js';
import { CountEvictor, TimeEvictor } from '../../src/common/windowing/evictors.js';
import { GlobalWindow, TimeWindow, mergeTimeWindows, windowFromId, windowId } from '../../src/common/windowing/windows.js';

const ctx = { getCurrentProcessingTime: () => 12_345 };
const span = (ws: TimeWindow[]) => ws.map((w) => [w.start, w.end]);

describe('window assigners', () => {
  it('tumbling windows align to size and offset, also before the epoch', () => {
    const a = TumblingEventTimeWindows.of(1000);
    expect(span(a.assignWindows(null, 0, ctx))).toEqual([[0, 1000]]);
    expect(span(a.assignWindows(null, 999, ctx))).toEqual([[0, 1000]]);
    expect(span(a.assignWindows(null, 1000, ctx))).toEqual([[1000, 2000]]);
    expect(span(a.assignWindows(null, -1, ctx))).toEqual([[-1000, 0]]);
    expect(span(TumblingEventTimeWindows.of(1000, 100).assignWindows(null, 50, ctx))).toEqual([[-900, 100]]);
    expect(span(TumblingProcessingTimeWindows.of(1000).assignWindows(null, 0, ctx))).toEqual([[12_000, 13_000]]);
  });

  it('sliding windows: size/slide windows per element, newest first', () => {
    const a = SlidingEventTimeWindows.of(1000, 250);
    expect(span(a.assignWindows(null, 1100, ctx))).toEqual([
      [1000, 2000],
      [750, 1750],
      [500, 1500],
      [250, 1250],
    ]);
  });

  it('session windows merge overlapping gaps', () => {
    const a = EventTimeSessionWindows.withGap(100);
    expect(a.isMerging()).toBe(true);
    const ws = [10, 50, 300, 120].flatMap((t) => a.assignWindows(null, t, ctx));
    const merges: Array<[number[], number[][]]> = [];
    mergeTimeWindows(ws, (r, m) => merges.push([[r.start, r.end], span(m)]));
    expect(merges).toEqual([[[10, 220], [[10, 110], [50, 150], [120, 220]]]]);
  });

  it('refuses elements without timestamps in event-time windows', () => {
    expect(() => TumblingEventTimeWindows.of(10).assignWindows(null, Number.NEGATIVE_INFINITY, ctx)).toThrow(/no timestamp/);
  });

  it('validates sizes', () => {
    expect(() => TumblingEventTimeWindows.of(0)).toThrow(/positive/);
    expect(() => SlidingEventTimeWindows.of(10, 20, 30)).toThrow(/offset/);
  });

  it('global windows and ids round-trip', () => {
    expect(GlobalWindows.create().assignWindows()).toEqual([GlobalWindow.INSTANCE]);
    expect(windowFromId(windowId(new TimeWindow(-5, 10)))).toEqual(new TimeWindow(-5, 10));
    expect(windowFromId(windowId(GlobalWindow.INSTANCE))).toBe(GlobalWindow.INSTANCE);
    expect(new TimeWindow(0, 10).maxTimestamp()).toBe(9);
  });
});

describe('evictors', () => {
  const els = (ts: number[]) => ts.map((t) => ({ value: t, timestamp: t }));
  it('count evictor keeps the newest n', () => {
    const e = els([1, 2, 3, 4, 5]);
    CountEvictor.of(2).evictBefore(e);
    expect(e.map((x) => x.value)).toEqual([4, 5]);
    const after = els([1, 2, 3]);
    CountEvictor.of(1, true).evictBefore(after);
    expect(after.length).toBe(3);
  });
  it('time evictor keeps elements within the size of the newest', () => {
    const e = els([100, 150, 190, 200]);
    TimeEvictor.of(50).evictBefore(e);
    expect(e.map((x) => x.value)).toEqual([190, 200]);
  });
});
