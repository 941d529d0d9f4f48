/**
 * The window operator driven through the operator test harness (the real operators a task
 * runs, a real keyed backend and timers), on both state backends.
 */
import { describe, expect, it } from 'vitest';
import {
  CountEvictor,
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindows,
  OperatorTestHarness,
  OutputTag,
  ProcessWindowFunction,
  PurgingTrigger,
  SlidingEventTimeWindows,
  TimeEvictor,
  TimeWindow,
  Trigger,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  UserCodeError,
  ValueStateDescriptor,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  type TriggerContext,
  type TriggerResult,
  type ValueState,
  type Window,
} from '../../src/index.js';

type Ev = [string, number];
const key = (e: Ev) => e[0];
const describeWindow = (k: string, w: TimeWindow, n: unknown) => `${k}[${w.start},${w.end})=${String(n)}`;
const countAgg: AggregateFunction<Ev, number, number> = {
  createAccumulator: () => 0,
  add: (_v, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};
const sumReduce = (a: Ev, b: Ev): Ev => [a[0], a[1] + b[1]];

describe.each(['memory', 'leveldb'] as const)('window operator (%s backend)', (stateBackend) => {
  const harness = <OUT>(build: (s: DataStream<Ev>) => DataStream<OUT>) => OperatorTestHarness.forStream<Ev, OUT>(build, { stateBackend });

  it('tumbling event-time windows fire when the watermark reaches end - 1, with timestamp end - 1, and clean up', async () => {
    const h = await harness((s) =>
      s.keyBy(key).window(TumblingEventTimeWindows.of(10)).process((k: string, ctx, els, out: Collector<string>) => out.collect(describeWindow(k, ctx.window as TimeWindow, [...els].length))),
    );
    h.processElement(['a', 1], 1);
    h.processElement(['a', 9], 9);
    h.processElement(['b', 5], 5);
    h.processElement(['a', 10], 10);
    h.processWatermark(8);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(9);
    expect(h.extractOutputRecords().map((r) => [r.value, r.timestamp]).sort()).toEqual([
      ['a[0,10)=2', 9],
      ['b[0,10)=1', 9],
    ]);
    h.processWatermark(19);
    expect(h.extractOutputValues()).toContain('a[10,20)=1');
    expect(await h.numKeyedStateEntries()).toBe(0);
    await h.close();
  });

  it('sliding windows count every element in each overlapping window', async () => {
    const h = await harness((s) => s.keyBy(key).window(SlidingEventTimeWindows.of(10, 5)).aggregate(countAgg, (k: string, ctx, els, out: Collector<string>) => out.collect(describeWindow(k, ctx.window as TimeWindow, [...els][0]))));
    for (const t of [1, 4, 6, 12]) h.processElement(['a', t], t);
    h.processWatermark(100);
    expect(h.extractOutputValues().sort()).toEqual(['a[-5,5)=2', 'a[0,10)=3', 'a[10,20)=1', 'a[5,15)=2'].sort());
    await h.close();
  });

  it('session windows merge, fold reduce state of the merged windows, and fire once per session', async () => {
    const h = await harness((s) =>
      s.keyBy(key).window(EventTimeSessionWindows.withGap(5)).reduce(sumReduce, (k: string, ctx, els, out: Collector<string>) => out.collect(describeWindow(k, ctx.window as TimeWindow, [...els][0]![1]))),
    );
    h.processElement(['a', 1], 1); // [1,6)
    h.processElement(['a', 20], 20); // [20,25)
    h.processElement(['a', 10], 10); // [10,15): separate
    h.processElement(['a', 6], 6); // [6,11) touches [1,6) and overlaps [10,15) -> [1,15)
    h.processElement(['b', 3], 3);
    h.processWatermark(14);
    expect(h.extractOutputValues().sort()).toEqual(['a[1,15)=17', 'b[3,8)=3']);
    h.processWatermark(30);
    expect(h.extractOutputValues()).toContain('a[20,25)=20');
    expect(await h.numKeyedStateEntries()).toBe(0);
    await h.close();
  });

  it('session windows with a count trigger merge the trigger state', async () => {
    const h = await harness((s) =>
      s
        .keyBy(key)
        .window(EventTimeSessionWindows.withGap(5))
        .trigger(CountTrigger.of(3))
        .process((k: string, ctx, els, out: Collector<string>) => out.collect(describeWindow(k, ctx.window as TimeWindow, [...els].map((e) => e[1]).join('+')))),
    );
    h.processElement(['a', 1], 1);
    h.processElement(['a', 10], 10);
    expect(h.extractOutputValues()).toEqual([]);
    h.processElement(['a', 5], 5); // merges both: counts 1 + 1 folded, + 1 = 3 -> fire
    expect(h.extractOutputValues()).toEqual(['a[1,15)=1+10+5']);
    await h.close();
  });

  it('allowed lateness re-fires a window for late elements; later elements go to the late side output', async () => {
    const late = new OutputTag<Ev>('late');
    const h = await harness((s) =>
      s
        .keyBy(key)
        .window(TumblingEventTimeWindows.of(10))
        .allowedLateness(5)
        .sideOutputLateData(late)
        .process((k: string, ctx, els, out: Collector<string>) => out.collect(describeWindow(k, ctx.window as TimeWindow, [...els].length))),
    );
    h.processElement(['a', 3], 3);
    h.processWatermark(9);
    h.processElement(['a', 4], 4); // late but within lateness: fires again with both
    h.processWatermark(14); // cleanup at 9 + 5
    h.processElement(['a', 2], 2); // too late: window gone
    h.processElement(['a', 15], 15);
    expect(h.extractOutputValues()).toEqual(['a[0,10)=1', 'a[0,10)=2']);
    expect(h.getSideOutput(late)).toEqual([{ value: ['a', 2], timestamp: 2 }]);
    await h.close();
  });

  it('drops late elements without a side output', async () => {
    const h = await harness((s) => s.keyBy(key).window(TumblingEventTimeWindows.of(10)).reduce(sumReduce));
    h.processElement(['a', 1], 1);
    h.processWatermark(20);
    h.processElement(['a', 2], 2);
    h.processWatermark(30);
    expect(h.extractOutputRecords()).toEqual([{ value: ['a', 1], timestamp: 9 }]);
    await h.close();
  });

  it('processing-time windows fire on processing-time timers', async () => {
    const h = await harness((s) => s.keyBy(key).window(TumblingProcessingTimeWindows.of(100)).aggregate(countAgg));
    h.setProcessingTime(10);
    h.processElement(['a', 0]);
    h.processElement(['a', 0]);
    h.setProcessingTime(98);
    expect(h.extractOutputValues()).toEqual([]);
    h.setProcessingTime(99);
    expect(h.extractOutputRecords()).toEqual([{ value: 2, timestamp: 99 }]);
    h.processElement(['a', 0]);
    h.setProcessingTime(250);
    expect(h.extractOutputValues()).toEqual([2, 1]);
    await h.close();
  });

  it('tumbling and sliding count windows', async () => {
    const tumbling = await harness((s) => s.keyBy(key).countWindow(3).reduce(sumReduce));
    for (let i = 1; i <= 7; i++) tumbling.processElement(['a', i]);
    expect(tumbling.extractOutputValues()).toEqual([['a', 6], ['a', 15]]);
    await tumbling.close();

    const sliding = await harness((s) => s.keyBy(key).countWindow(3, 2).apply((k: string, _w: Window, input: Iterable<Ev>, out: Collector<string>) => out.collect(`${k}:${[...input].map((e) => e[1]).join(',')}`)));
    for (let i = 1; i <= 6; i++) sliding.processElement(['a', i]);
    expect(sliding.extractOutputValues()).toEqual(['a:1,2', 'a:2,3,4', 'a:4,5,6']);
    await sliding.close();
  });

  it('GlobalWindows with a purging trigger and a custom trigger with state', async () => {
    /** Fires when an element's value is 0 or when 2 elements of value > 100 arrived. */
    class FlushTrigger extends Trigger<Ev, Window> {
      private readonly big = new ValueStateDescriptor<number>('big', 0);
      onElement(e: Ev, _ts: number, _w: Window, ctx: TriggerContext): TriggerResult {
        if (e[1] === 0) return 'FIRE_AND_PURGE';
        if (e[1] > 100) {
          const s = ctx.getPartitionedState<ValueState<number>>(this.big);
          const n = s.value()! + 1;
          s.update(n);
          if (n === 2) {
            s.clear();
            return 'FIRE';
          }
        }
        return 'CONTINUE';
      }
      onEventTime(): TriggerResult {
        return 'CONTINUE';
      }
      onProcessingTime(): TriggerResult {
        return 'CONTINUE';
      }
      clear(_w: Window, ctx: TriggerContext): void {
        ctx.getPartitionedState<ValueState<number>>(this.big).clear();
      }
    }
    const h = await harness((s) => s.keyBy(key).window(GlobalWindows.create()).trigger(new FlushTrigger()).aggregate(countAgg));
    h.processElement(['a', 1]);
    h.processElement(['a', 200]);
    h.processElement(['b', 300]);
    h.processElement(['a', 300]); // second big of a: FIRE (contents kept)
    h.processElement(['a', 0]); // FIRE_AND_PURGE
    h.processElement(['a', 5]);
    h.processElement(['a', 0]);
    expect(h.extractOutputValues()).toEqual([3, 4, 2]);
    await h.close();
  });

  it('PurgingTrigger purges after each fire of the nested trigger', async () => {
    const h = await harness((s) => s.keyBy(key).window(TumblingEventTimeWindows.of(100)).trigger(PurgingTrigger.of(CountTrigger.of(2))).aggregate(countAgg));
    for (let t = 1; t <= 5; t++) h.processElement(['a', t], t);
    h.processWatermark(1000);
    expect(h.extractOutputValues()).toEqual([2, 2]);
    await h.close();
  });

  it('evictors: a time evictor before a reduce, a count evictor after the function', async () => {
    const h = await harness((s) => s.keyBy(key).window(TumblingEventTimeWindows.of(100)).evictor(TimeEvictor.of(10)).reduce(sumReduce));
    for (const t of [1, 50, 55, 60]) h.processElement(['a', t], t);
    h.processWatermark(99);
    // Elements at or below newest - 10 are evicted: 55 + 60 remain.
    expect(h.extractOutputRecords()).toEqual([{ value: ['a', 115], timestamp: 99 }]);
    await h.close();

    const after = await harness((s) =>
      s
        .keyBy(key)
        .window(GlobalWindows.create())
        .trigger(CountTrigger.of(2))
        .evictor(CountEvictor.of(1, true))
        .process((_k: string, _ctx, els, out: Collector<number[]>) => out.collect([...els].map((e) => e[1]))),
    );
    for (const v of [1, 2, 3, 4]) after.processElement(['a', v]);
    expect(after.extractOutputValues()).toEqual([[1, 2], [2, 3, 4]]);
    await after.close();
  });

  it('a ProcessWindowFunction class gets its runtime context, per-window and global state, and clear()', async () => {
    class Fires extends ProcessWindowFunction<Ev, string, string, TimeWindow> {
      cleared: string[] = [];
      process(k: string, ctx: ProcessWindowContext<TimeWindow>, els: Iterable<Ev>, out: Collector<string>): void {
        const perWindow = ctx.windowState().getState(new ValueStateDescriptor<number>('fires', 0));
        const total = ctx.globalState().getState(new ValueStateDescriptor<number>('fires', 0));
        perWindow.update(perWindow.value()! + 1);
        total.update(total.value()! + 1);
        out.collect(`${k}@${ctx.window.start} n=${[...els].length} window=${perWindow.value()} total=${total.value()} wm=${ctx.currentWatermark()} sub=${this.getRuntimeContext().subtaskIndex}`);
      }
      override clear(ctx: ProcessWindowContext<TimeWindow>): void {
        ctx.windowState().getState(new ValueStateDescriptor<number>('fires', 0)).clear();
      }
    }
    const h = await harness((s) => s.keyBy(key).window(TumblingEventTimeWindows.of(10)).allowedLateness(100).process(new Fires()));
    h.processElement(['a', 1], 1);
    h.processWatermark(9);
    h.processElement(['a', 2], 2);
    h.processElement(['a', 12], 12);
    h.processWatermark(19);
    expect(h.extractOutputValues()).toEqual([
      'a@0 n=1 window=1 total=1 wm=9 sub=0',
      'a@0 n=2 window=2 total=2 wm=9 sub=0',
      'a@10 n=1 window=1 total=3 wm=19 sub=0',
    ]);
    h.processWatermark(200);
    // Only the global state survives the cleanup of both windows.
    expect(await h.numKeyedStateEntries()).toBe(1);
    await h.close();
  });

  it('windowAll sees every key in one window', async () => {
    const h = await harness((s) => s.windowAll(TumblingEventTimeWindows.of(10)).aggregate(countAgg));
    h.processElement(['a', 1], 1);
    h.processElement(['b', 2], 2);
    h.processElement(['c', 11], 11);
    h.processWatermark(20);
    expect(h.extractOutputValues()).toEqual([2, 1]);
    await h.close();
  });

  it('an element without a timestamp in an event-time window fails with an error naming the operator', async () => {
    const h = await harness((s) => s.keyBy(key).window(TumblingEventTimeWindows.of(10)).reduce(sumReduce).name('MyWindow'));
    let error: unknown;
    try {
      h.processElement(['a', 1]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserCodeError);
    expect((error as UserCodeError).operatorName).toBe('MyWindow');
    expect((error as Error).message).toMatch(/MyWindow failed: .*no timestamp.*assignTimestampsAndWatermarks/);
    await h.close();
  });
});

describe('window API validation', () => {
  it('refuses a trigger that cannot merge on session windows', async () => {
    class NoMerge extends EventTimeTrigger {
      override canMerge(): boolean {
        return false;
      }
    }
    await expect(OperatorTestHarness.forStream<Ev, Ev>((s) => s.keyBy(key).window(EventTimeSessionWindows.withGap(5)).trigger(new NoMerge()).reduce(sumReduce))).rejects.toThrow(
      /cannot be used with merging windows/,
    );
    await expect(OperatorTestHarness.forStream<Ev, Ev>((s) => s.keyBy(key).window(TumblingEventTimeWindows.of(5)).allowedLateness(-1).reduce(sumReduce))).rejects.toThrow(/allowedLateness/);
  });
});
