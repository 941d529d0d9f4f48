import { describe, expect, it } from 'vitest';
import {
  AbstractRichFunction,
  OperatorTestHarness,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  type Collector,
  type DataStream,
} from '../../src/api/index.js';

type A = [string, number];
type B = { key: string; v: number };

/** Elements of both sides: [key, timestamp]. */
const as: [string, number][] = [['x', 1], ['x', 4], ['y', 3], ['x', 12], ['z', 13], ['y', 25]];
const bs: [string, number][] = [['x', 2], ['y', 9], ['y', 8], ['x', 15], ['x', 16], ['w', 14]];

function feed(h: { processElement1(v: A, ts?: number): void; processElement2(v: B, ts?: number): void }): void {
  for (const [k, t] of as) h.processElement1([k, t], t);
  for (const [k, t] of bs) h.processElement2({ key: k, v: t }, t);
}

describe('window join in the harness', () => {
  it('joins every pair with equal keys in the same tumbling window, results at the window end - 1', async () => {
    const h = await OperatorTestHarness.forTwoInputStreams((a: DataStream<A>, b: DataStream<B>) =>
      a.join(b).where((x) => x[0]).equalTo((y) => y.key).window(TumblingEventTimeWindows.of(10)).apply((x: A, y: B) => `${x[0]}:${x[1]}+${y.v}`),
    );
    feed(h);
    h.processWatermark(9);
    expect(h.extractOutputValues().sort()).toEqual(['x:1+2', 'x:4+2', 'y:3+8', 'y:3+9']);
    h.processWatermark(100);
    const expected: string[] = [];
    for (const [ak, at] of as) for (const [bk, bt] of bs) if (ak === bk && Math.floor(at / 10) === Math.floor(bt / 10)) expected.push(`${ak}:${at}+${bt}`);
    expect(h.extractOutputValues().sort()).toEqual(expected.sort());
    for (const r of h.extractOutputRecords()) expect(r.timestamp! % 10).toBe(9);
    expect(await h.numKeyedStateEntries()).toBe(0);
    await h.close();
  });

  it('a rich join function is opened with its runtime context', async () => {
    class TaggingJoin extends AbstractRichFunction {
      subtask = -1;
      override open(): void {
        this.subtask = this.getRuntimeContext().subtaskIndex;
      }
      join(x: A, y: B): string {
        return `${this.subtask}:${x[0]}:${x[1]}+${y.v}`;
      }
    }
    const h = await OperatorTestHarness.forTwoInputStreams((a: DataStream<A>, b: DataStream<B>) =>
      a.join(b).where((x) => x[0]).equalTo((y) => y.key).window(TumblingEventTimeWindows.of(10)).apply(new TaggingJoin()),
    );
    feed(h);
    h.processWatermark(9);
    expect(h.extractOutputValues().sort()).toEqual(['0:x:1+2', '0:x:4+2', '0:y:3+8', '0:y:3+9']);
    await h.close();
  });

  it('a three-parameter join function is a FlatJoinFunction', async () => {
    const h = await OperatorTestHarness.forTwoInputStreams((a: DataStream<A>, b: DataStream<B>) =>
      a.join(b).where((x) => x[0]).equalTo((y) => y.key).window(SlidingEventTimeWindows.of(10, 5)).apply((x: A, y: B, out: Collector<number>) => {
        if (x[1] < y.v) out.collect(y.v - x[1]);
      }),
    );
    feed(h);
    h.processWatermark(100);
    // Every sliding window [s, s + 10) with s a multiple of 5 holding both elements emits once.
    const expected: number[] = [];
    for (const [ak, at] of as) {
      for (const [bk, bt] of bs) {
        if (ak !== bk || at >= bt) continue;
        for (let start = Math.floor(at / 5) * 5 - 5; start <= at; start += 5) if (bt >= start && bt < start + 10) expected.push(bt - at);
      }
    }
    expect(h.extractOutputValues().sort((p, q) => p - q)).toEqual(expected.sort((p, q) => p - q));
    await h.close();
  });
});

describe('window coGroup in the harness', () => {
  it('hands every key and window both sides, including windows where one side is empty', async () => {
    const h = await OperatorTestHarness.forTwoInputStreams((a: DataStream<A>, b: DataStream<B>) =>
      a
        .coGroup(b)
        .where((x) => x[0])
        .equalTo((y) => y.key)
        .window(TumblingEventTimeWindows.of(10))
        .apply((first: Iterable<A>, second: Iterable<B>, out: Collector<string>) => {
          const f = [...first].map((x) => x[1]).sort((p, q) => p - q);
          const s = [...second].map((y) => y.v).sort((p, q) => p - q);
          out.collect(`${f.join(',')}|${s.join(',')}`);
        }),
    );
    feed(h);
    h.processWatermark(100);
    expect(h.extractOutputValues().sort()).toEqual(['1,4|2', '12|15,16', '13|', '25|', '3|8,9', '|14'].sort());
    await h.close();
  });
});
