import { describe, expect, it } from 'vitest';
import {
  Configuration,
  CountTrigger,
  GlobalWindow,
  GlobalWindows,
  OperatorTestHarness,
  ProcessWindowFunction,
  RichAggregateFunction,
  RichAllWindowFunction,
  RichCoFlatMapFunction,
  RichCoGroupFunction,
  RichCoMapFunction,
  RichFilterFunction,
  RichFlatJoinFunction,
  RichFlatMapFunction,
  RichJoinFunction,
  RichMapFunction,
  RichReduceFunction,
  RichWindowFunction,
  StreamExecutionEnvironment,
  TimeWindow,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type OpenContext,
  type ProcessWindowContext,
  type ValueState,
} from '../../src/index.js';

/** What every test function records of its lifecycle. */
const events: string[] = [];

describe('Rich* map, flatMap, filter, reduce', () => {
  it('RichMapFunction: open(Configuration) as Flink < 1.19 writes it, keyed state from getRuntimeContext(), close()', async () => {
    class Numbering extends RichMapFunction<string, string> {
      private seen!: ValueState<number>;
      override open(parameters: Configuration): void {
        events.push(`open ${parameters.getString('missing', 'default')} ${parameters.getInteger('n', 7)}`);
        this.seen = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('seen'));
      }
      map(value: string): string {
        const n = (this.seen.value() ?? 0) + 1;
        this.seen.update(n);
        return `${value}#${n}`;
      }
      override close(): void {
        events.push('close');
      }
    }
    events.length = 0;
    const h = await OperatorTestHarness.forStream<string, string>((s) => s.keyBy((w) => w).map(new Numbering()));
    for (const w of ['a', 'b', 'a', 'a']) h.processElement(w);
    expect(h.extractOutputValues()).toEqual(['a#1', 'b#1', 'a#2', 'a#3']);
    await h.close();
    expect(events).toEqual(['open default 7', 'close']);
  });

  it('RichFlatMapFunction and RichFilterFunction: open(openContext) sees the subtask', async () => {
    class Split extends RichFlatMapFunction<string, string> {
      private tag = '';
      override open(ctx: OpenContext): void {
        this.tag = `${ctx.subtaskIndex}/${ctx.parallelism}`;
      }
      flatMap(value: string, out: Collector<string>): void {
        for (const w of value.split(' ')) out.collect(`${w}@${this.tag}`);
      }
    }
    class NotThe extends RichFilterFunction<string> {
      private stop!: string;
      override open(): void {
        this.stop = `the@${this.getRuntimeContext().subtaskIndex}/1`;
      }
      filter(value: string): boolean {
        return value !== this.stop;
      }
    }
    const h = await OperatorTestHarness.forStream<string, string>((s) => s.flatMap(new Split()).filter(new NotThe()));
    h.processElement('the cat the hat');
    expect(h.extractOutputValues()).toEqual(['cat@0/1', 'hat@0/1']);
    await h.close();
  });

  it('RichReduceFunction on a keyed stream is opened and closed', async () => {
    class Longest extends RichReduceFunction<string> {
      opened = 0;
      override open(): void {
        this.opened++;
      }
      reduce(a: string, b: string): string {
        return b.length > a.length ? b : a;
      }
    }
    const fn = new Longest();
    const h = await OperatorTestHarness.forStream<string, string>((s) => s.keyBy((w) => w[0]!).reduce(fn));
    for (const w of ['ab', 'abc', 'a', 'b']) h.processElement(w);
    expect(h.extractOutputValues()).toEqual(['ab', 'abc', 'abc', 'b']);
    await h.close();
  });
});

describe('Rich co-functions', () => {
  type Ride = { rideId: number; start: number };
  type Fare = { rideId: number; tip: number };

  it('RichCoFlatMapFunction enriches rides with fares through keyed state (the Flink training exercise)', async () => {
    class EnrichmentFunction extends RichCoFlatMapFunction<Ride, Fare, [Ride, Fare]> {
      private rideState!: ValueState<Ride>;
      private fareState!: ValueState<Fare>;
      override open(_config: Configuration): void {
        this.rideState = this.getRuntimeContext().getState(new ValueStateDescriptor<Ride>('saved ride'));
        this.fareState = this.getRuntimeContext().getState(new ValueStateDescriptor<Fare>('saved fare'));
      }
      flatMap1(ride: Ride, out: Collector<[Ride, Fare]>): void {
        const fare = this.fareState.value();
        if (fare != null) {
          this.fareState.clear();
          out.collect([ride, fare]);
        } else this.rideState.update(ride);
      }
      flatMap2(fare: Fare, out: Collector<[Ride, Fare]>): void {
        const ride = this.rideState.value();
        if (ride != null) {
          this.rideState.clear();
          out.collect([ride, fare]);
        } else this.fareState.update(fare);
      }
    }
    const h = await OperatorTestHarness.forTwoInputStreams<Ride, Fare, [Ride, Fare]>((rides, fares) =>
      rides.keyBy((r) => r.rideId).connect(fares.keyBy((f) => f.rideId)).flatMap(new EnrichmentFunction()),
    );
    h.processElement1({ rideId: 1, start: 10 });
    h.processElement2({ rideId: 2, tip: 5 });
    h.processElement2({ rideId: 1, tip: 3 });
    h.processElement1({ rideId: 2, start: 20 });
    expect(h.extractOutputValues()).toEqual([
      [{ rideId: 1, start: 10 }, { rideId: 1, tip: 3 }],
      [{ rideId: 2, start: 20 }, { rideId: 2, tip: 5 }],
    ]);
    expect(await h.numKeyedStateEntries()).toBe(0);
    await h.close();
  });

  it('RichCoMapFunction maps both inputs with its lifecycle', async () => {
    class Label extends RichCoMapFunction<number, string, string> {
      private prefix = '';
      override open(ctx: OpenContext): void {
        this.prefix = `${ctx.subtaskIndex}:`;
      }
      map1(v: number): string {
        return `${this.prefix}n${v}`;
      }
      map2(v: string): string {
        return `${this.prefix}s${v}`;
      }
    }
    const h = await OperatorTestHarness.forTwoInputStreams<number, string, string>((a, b) => a.connect(b).map(new Label()));
    h.processElement1(1);
    h.processElement2('x');
    expect(h.extractOutputValues()).toEqual(['0:n1', '0:sx']);
    await h.close();
  });
});

describe('Rich window functions and windows', () => {
  it('RichWindowFunction gets the runtime context; TimeWindow has getStart/getEnd/maxTimestamp', async () => {
    class CountPerWindow extends RichWindowFunction<[string, number], string, string, TimeWindow> {
      private fired!: ValueState<number>;
      override open(): void {
        this.fired = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('fired', 0));
      }
      apply(key: string, window: TimeWindow, input: Iterable<[string, number]>, out: Collector<string>): void {
        const n = (this.fired.value() ?? 0) + 1;
        this.fired.update(n);
        out.collect(`${key} [${window.getStart()},${window.getEnd()}) max=${window.maxTimestamp()} n=${[...input].length} fire=${n}`);
      }
    }
    const h = await OperatorTestHarness.forStream<[string, number], string>((s) =>
      s.keyBy((t) => t[0]).window(TumblingEventTimeWindows.of(10)).apply(new CountPerWindow()),
    );
    h.processElement(['a', 1], 1);
    h.processElement(['a', 1], 5);
    h.processElement(['a', 1], 12);
    h.processWatermark(30);
    expect(h.extractOutputValues()).toEqual(['a [0,10) max=9 n=2 fire=1', 'a [10,20) max=19 n=1 fire=2']);
    await h.close();
  });

  it("ProcessWindowFunction: Flink's context.window().getEnd() and Fluss's ctx.window.end both work", async () => {
    class Ends extends ProcessWindowFunction<number, string, number, TimeWindow> {
      process(_key: number, context: ProcessWindowContext<TimeWindow>, elements: Iterable<number>, out: Collector<string>): void {
        const w = context.window();
        expect(w).toBeInstanceOf(TimeWindow);
        expect(context.window).toBeInstanceOf(TimeWindow);
        out.collect(`${w.getEnd()} ${context.window.end} ${context.window.getStart()} ${[...elements].length}`);
      }
    }
    const h = await OperatorTestHarness.forStream<number, string>((s) => s.keyBy(() => 0).window(TumblingEventTimeWindows.of(10)).process(new Ends()));
    h.processElement(1, 3);
    h.processWatermark(10);
    expect(h.extractOutputValues()).toEqual(['10 10 0 1']);
    await h.close();
  });

  it('RichAllWindowFunction on count windows sees GlobalWindow.get()', async () => {
    class Batches extends RichAllWindowFunction<number, string, GlobalWindow> {
      apply(window: GlobalWindow, input: Iterable<number>, out: Collector<string>): void {
        out.collect(`${window === GlobalWindow.get()} ${[...input].join(',')} ${this.getRuntimeContext().parallelism}`);
      }
    }
    const h = await OperatorTestHarness.forStream<number, string>((s) => s.countWindowAll(2).apply(new Batches()));
    for (const n of [1, 2, 3, 4, 5]) h.processElement(n);
    expect(h.extractOutputValues()).toEqual(['true 1,2 1', 'true 3,4 1']);
    await h.close();
    expect(GlobalWindows.create().assignWindows()[0]).toBe(GlobalWindow.get());
  });

  it('RichAggregateFunction in a window is opened with the runtime context', async () => {
    class Avg extends RichAggregateFunction<number, [number, number], string> {
      private unit = '';
      override open(parameters: Configuration): void {
        this.unit = parameters.getString('unit', 'ms');
      }
      createAccumulator(): [number, number] {
        return [0, 0];
      }
      add(v: number, acc: [number, number]): [number, number] {
        return [acc[0] + v, acc[1] + 1];
      }
      getResult(acc: [number, number]): string {
        return `${acc[0] / acc[1]}${this.unit} @${this.getRuntimeContext().subtaskIndex}`;
      }
      merge(a: [number, number], b: [number, number]): [number, number] {
        return [a[0] + b[0], a[1] + b[1]];
      }
    }
    const h = await OperatorTestHarness.forStream<number, string>((s) => s.keyBy(() => 'k').window(GlobalWindows.create()).trigger(CountTrigger.of(2)).aggregate(new Avg()));
    for (const n of [1, 3, 5, 7]) h.processElement(n);
    expect(h.extractOutputValues()).toEqual(['2ms @0', '4ms @0']);
    await h.close();
  });
});

describe('Rich join and co-group functions', () => {
  type L = { k: string; l: number };
  type R = { k: string; r: number };

  it('RichJoinFunction, RichFlatJoinFunction and RichCoGroupFunction are opened and closed with a runtime context', async () => {
    events.length = 0;
    class Pair extends RichJoinFunction<L, R, string> {
      override open(): void {
        events.push(`join open ${this.getRuntimeContext().taskName !== undefined}`);
      }
      join(a: L, b: R): string {
        return `${a.k}:${a.l}+${b.r}`;
      }
      override close(): void {
        events.push('join close');
      }
    }
    class Pairs extends RichFlatJoinFunction<L, R, string> {
      join(a: L, b: R, out: Collector<string>): void {
        out.collect(`${a.l}`);
        out.collect(`${b.r}`);
      }
    }
    class Sizes extends RichCoGroupFunction<L, R, string> {
      override open(): void {
        events.push(`cogroup open ${this.getRuntimeContext().subtaskIndex}`);
      }
      coGroup(first: Iterable<L>, second: Iterable<R>, out: Collector<string>): void {
        out.collect(`${[...first].length}x${[...second].length}`);
      }
    }
    const win = TumblingEventTimeWindows.of(10);
    for (const [fn, want] of [
      [(a: any, b: any) => a.join(b).where((x: L) => x.k).equalTo((y: R) => y.k).window(win).apply(new Pair()), ['a:1+2']],
      [(a: any, b: any) => a.join(b).where((x: L) => x.k).equalTo((y: R) => y.k).window(win).apply(new Pairs()), ['1', '2']],
      [(a: any, b: any) => a.coGroup(b).where((x: L) => x.k).equalTo((y: R) => y.k).window(win).apply(new Sizes()), ['1x1', '0x1']],
    ] as const) {
      const h = await OperatorTestHarness.forTwoInputStreams<L, R, string>(fn as never);
      h.processElement1({ k: 'a', l: 1 }, 1);
      h.processElement2({ k: 'a', r: 2 }, 2);
      h.processElement2({ k: 'b', r: 3 }, 3);
      h.processWatermark(20);
      expect(h.extractOutputValues()).toEqual(want);
      await h.close();
    }
    expect(events).toEqual(['join open true', 'join close', 'cogroup open 0']);
  });
});

describe('Configuration', () => {
  it("has Flink's typed getters and setters", () => {
    const c = new Configuration({ a: '3', b: 'TRUE' }).setDouble('d', 1.5).setString('s', 'x');
    expect(c.getInteger('a', 0)).toBe(3);
    expect(c.getBoolean('b', false)).toBe(true);
    expect(c.getDouble('d', 0)).toBe(1.5);
    expect(c.getString('s', '')).toBe('x');
    expect(c.getLong('missing', 9)).toBe(9);
    expect(c.containsKey('s')).toBe(true);
    expect(() => c.getInteger('s', 0)).toThrow(/not an integer/);
    expect(c.toMap()).toEqual({ a: '3', b: 'TRUE', d: '1.5', s: 'x' });
  });
});

describe('Rich functions in a job on the mini-cluster', () => {
  it('RichCoFlatMapFunction with keyed state across two parallel subtasks', async () => {
    class Join extends RichCoFlatMapFunction<[number, string], [number, number], string> {
      private left!: ValueState<string>;
      private right!: ValueState<number>;
      override open(_parameters: Configuration): void {
        this.left = this.getRuntimeContext().getState(new ValueStateDescriptor<string>('left'));
        this.right = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('right'));
      }
      flatMap1(v: [number, string], out: Collector<string>): void {
        const r = this.right.value();
        if (r == null) this.left.update(v[1]);
        else out.collect(`${v[0]}:${v[1]}:${r}`);
      }
      flatMap2(v: [number, number], out: Collector<string>): void {
        const l = this.left.value();
        if (l == null) this.right.update(v[1]);
        else out.collect(`${v[0]}:${l}:${v[1]}`);
      }
    }
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 2 });
    const ids = Array.from({ length: 50 }, (_, i) => i);
    const a = env.fromCollection(ids.map((i): [number, string] => [i, `n${i}`]));
    const b = env.fromCollection(ids.map((i): [number, number] => [i, i * 10]));
    const out = await a
      .keyBy((t) => t[0])
      .connect(b.keyBy((t) => t[0]))
      .flatMap(new Join())
      .executeAndCollect();
    expect(out.sort()).toEqual(ids.map((i) => `${i}:n${i}:${i * 10}`).sort());
    void WatermarkStrategy;
  });
});

describe("RuntimeContext: Flink's getters", () => {
  it('getIndexOfThisSubtask / getNumberOfParallelSubtasks / getMaxNumberOfParallelSubtasks / getAttemptNumber / getTaskName', async () => {
    class Info extends RichMapFunction<number, string> {
      map(v: number): string {
        const rc = this.getRuntimeContext();
        return `${v} ${rc.getIndexOfThisSubtask()}/${rc.getNumberOfParallelSubtasks()} max=${rc.getMaxNumberOfParallelSubtasks()} attempt=${rc.getAttemptNumber()} ${typeof rc.getTaskName()}`;
      }
    }
    const h = await OperatorTestHarness.forStream<number, string>((s) => s.map(new Info()), { maxParallelism: 64 });
    h.processElement(1);
    expect(h.extractOutputValues()).toEqual(['1 0/1 max=64 attempt=0 string']);
    await h.close();
  });
});
