/**
 * `env.addSource(SourceFunction)` in whole jobs on the local mini-cluster: the Flink training's
 * TaxiRideGenerator ported as written (an async run loop that sleeps between batches) through
 * the keyed event-time "long ride alerts" solution, legacy watermarks from the source
 * (`collectWithTimestamp` / `emitWatermark`) through windows, a parallel source at p=2, a slow
 * chained sink that keeps the source's buffer bounded, and the one-line refusals.
 */
import { describe, expect, it } from 'vitest';
import {
  JobBuildError,
  KeyedProcessFunction,
  OutputTag,
  ProcessWindowFunction,
  RestartStrategies,
  RichParallelSourceFunction,
  RichSinkFunction,
  RichSourceFunction,
  SequenceSource,
  StreamExecutionEnvironment,
  TimeWindow,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  Watermark,
  WatermarkStrategy,
  type Collector,
  type OnTimerContext,
  type ProcessWindowContext,
  type KeyedProcessContext,
  type SourceContext,
  type SourceFunction,
  type ValueState,
} from '../../src/index.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small seeded PRNG, so every ride's data follows from its id (as the training's DataGenerator). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BEGIN = Date.UTC(2020, 0, 1, 12);
const SECONDS_BETWEEN_RIDES = 20;

/** Minutes ride `rideId` lasts: 1 … 300, about a quarter over two hours. */
function rideDurationMinutes(rideId: number): number {
  const rnd = mulberry32(rideId);
  return 1 + Math.floor(rnd() * rnd() * 300);
}

/** The training's TaxiRide, reduced to what the exercise reads. */
class TaxiRide {
  readonly eventTime: number;
  constructor(
    readonly rideId: number,
    readonly isStart: boolean,
  ) {
    const start = BEGIN + SECONDS_BETWEEN_RIDES * 1000 * rideId;
    this.eventTime = isStart ? start : start + 60_000 * rideDurationMinutes(rideId);
  }
  getEventTimeMillis(): number {
    return this.eventTime;
  }
}

/**
 * Flink training's TaxiRideGenerator, line by line: batches of START events, the END events
 * due by the batch's latest start released first (a few END events precede their START), the
 * STARTs shuffled, a sleep between batches. Bounded here by `maxRides`: at the end it releases
 * the END events still queued, so every ride ends.
 */
class TaxiRideGenerator implements SourceFunction<TaxiRide> {
  static readonly SLEEP_MILLIS_PER_EVENT = 0.2;
  private static readonly BATCH_SIZE = 5;
  private running = true;

  constructor(private readonly maxRides: number) {}

  async run(ctx: SourceContext<TaxiRide>): Promise<void> {
    const endEventQ: TaxiRide[] = [];
    let id = 0;
    let maxStartTime = 0;
    const batch = TaxiRideGenerator.BATCH_SIZE;
    while (this.running && id < this.maxRides) {
      const startEvents: TaxiRide[] = [];
      for (let i = 1; i <= batch; i++) {
        const ride = new TaxiRide(id + i, true);
        startEvents.push(ride);
        maxStartTime = Math.max(maxStartTime, ride.getEventTimeMillis());
      }
      for (let i = 1; i <= batch; i++) endEventQ.push(new TaxiRide(id + i, false));
      endEventQ.sort((a, b) => a.eventTime - b.eventTime);
      while (endEventQ.length > 0 && endEventQ[0]!.getEventTimeMillis() <= maxStartTime) await ctx.collect(endEventQ.shift()!);
      const rnd = mulberry32(id);
      for (let i = startEvents.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [startEvents[i], startEvents[j]] = [startEvents[j]!, startEvents[i]!];
      }
      for (const r of startEvents) await ctx.collect(r);
      id += batch;
      await sleep(batch * TaxiRideGenerator.SLEEP_MILLIS_PER_EVENT);
    }
    while (this.running && endEventQ.length > 0) await ctx.collect(endEventQ.shift()!);
  }

  cancel(): void {
    this.running = false;
  }
}

/** The training's LongRideAlerts solution: alert on rides longer than two hours, by event time. */
class AlertFunction extends KeyedProcessFunction<number, TaxiRide, number> {
  private rideState!: ValueState<TaxiRide>;

  override open(): void {
    this.rideState = this.getRuntimeContext().getState(new ValueStateDescriptor<TaxiRide>('ride event', TaxiRide));
  }

  processElement(ride: TaxiRide, context: KeyedProcessContext<number>, out: Collector<number>): void {
    const firstRideEvent = this.rideState.value();
    if (firstRideEvent == null) {
      this.rideState.update(ride);
      if (ride.isStart) context.timerService().registerEventTimeTimer(this.getTimerTime(ride));
    } else {
      if (ride.isStart) {
        if (this.rideTooLong(ride, firstRideEvent)) out.collect(ride.rideId);
      } else {
        context.timerService().deleteEventTimeTimer(this.getTimerTime(firstRideEvent));
        if (this.rideTooLong(firstRideEvent, ride)) out.collect(ride.rideId);
      }
      this.rideState.clear();
    }
  }

  override onTimer(_timestamp: number, _ctx: OnTimerContext<number>, out: Collector<number>): void {
    out.collect(this.rideState.value()!.rideId);
    this.rideState.clear();
  }

  private rideTooLong(startEvent: TaxiRide, endEvent: TaxiRide): boolean {
    // Instances of TaxiRide, also when read back from state.
    expect(startEvent).toBeInstanceOf(TaxiRide);
    return endEvent.getEventTimeMillis() - startEvent.getEventTimeMillis() > 2 * 60 * 60 * 1000;
  }

  private getTimerTime(ride: TaxiRide): number {
    return ride.getEventTimeMillis() + 120 * 60 * 1000;
  }
}

describe('env.addSource(SourceFunction) jobs', () => {
  it('TaxiRideGenerator → long ride alerts (keyed, event time, p=2) gives exactly the rides over two hours', async () => {
    const rides = 2_000;
    const alerts: number[] = [];
    const env = StreamExecutionEnvironment.createLocalEnvironment(2);
    env.registerType(TaxiRide);
    env
      .addSource(new TaxiRideGenerator(rides))
      .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<TaxiRide>(60_000).withTimestampAssigner((ride) => ride.getEventTimeMillis()))
      .keyBy((ride) => ride.rideId)
      .process(new AlertFunction())
      .addSink((id: number) => void alerts.push(id));
    await env.execute('Long Taxi Rides');
    const expected = Array.from({ length: rides }, (_, i) => i + 1).filter((id) => rideDurationMinutes(id) > 120);
    expect(expected.length).toBeGreaterThan(rides / 10);
    expect(alerts.sort((a, b) => a - b)).toEqual(expected);
  }, 60_000);

  it('collectWithTimestamp and emitWatermark from the source drive event-time windows (no watermark strategy)', async () => {
    const events = 3_000;
    // Event i at time i * 37 ms with key i % 7, out of order within a batch of 10; the
    // watermark after each batch is the next batch's lowest timestamp minus 1. After batch 100
    // one event far behind the watermark: late only if the source's watermarks went through.
    class SensorSource extends RichSourceFunction<[number, number]> {
      private running = true;
      async run(ctx: SourceContext<[number, number]>): Promise<void> {
        for (let b = 0; this.running && b * 10 < events; b++) {
          for (let k = 9; k >= 0; k--) {
            const i = b * 10 + k;
            await ctx.collectWithTimestamp([i % 7, i], i * 37);
          }
          ctx.emitWatermark(new Watermark((b + 1) * 10 * 37 - 1));
          if (b === 100) await ctx.collectWithTimestamp([0, -1], 185);
          if (b % 50 === 0) ctx.markAsTemporarilyIdle();
          if (b % 20 === 0) await sleep(1);
        }
      }
      cancel(): void {
        this.running = false;
      }
    }
    class CountPerWindow extends ProcessWindowFunction<[number, number], string, number, TimeWindow> {
      process(key: number, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<[number, number]>, o: Collector<string>): void {
        o.collect(`${key}@${ctx.window().getEnd()}:${[...elements].length}`);
      }
    }
    const out: string[] = [];
    const late: [number, number][] = [];
    const lateTag = new OutputTag<[number, number]>('late');
    const env = StreamExecutionEnvironment.createLocalEnvironment(2);
    const windows = env
      .addSource(new SensorSource(), 'sensors')
      .keyBy((e) => e[0])
      .window(TumblingEventTimeWindows.of(1_000))
      .sideOutputLateData(lateTag)
      .process(new CountPerWindow());
    windows.addSink((s: string) => void out.push(s));
    windows.getSideOutput(lateTag).addSink((e: [number, number]) => void late.push(e));
    await env.execute();
    expect(late).toEqual([[0, -1]]);
    const counts = new Map<string, number>();
    for (let i = 0; i < events; i++) {
      const end = (Math.floor((i * 37) / 1_000) + 1) * 1_000;
      const k = `${i % 7}@${end}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(out.sort()).toEqual([...counts].map(([k, n]) => `${k}:${n}`).sort());
  }, 60_000);

  it('a RichParallelSourceFunction runs at p=2, each subtask knowing its index', async () => {
    class Numbers extends RichParallelSourceFunction<number> {
      private running = true;
      async run(ctx: SourceContext<number>): Promise<void> {
        const rc = this.getRuntimeContext();
        const me = rc.getIndexOfThisSubtask();
        const n = rc.getNumberOfParallelSubtasks();
        for (let i = me; this.running && i < 10_000; i += n) await ctx.collect(i);
      }
      cancel(): void {
        this.running = false;
      }
    }
    const got: number[] = [];
    const env = StreamExecutionEnvironment.createLocalEnvironment(1);
    const numbers = env.addSource(new Numbers(), 'numbers').setParallelism(2);
    expect(numbers.getParallelism()).toBe(2);
    numbers.rebalance().addSink((i: number) => void got.push(i));
    await env.execute();
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  }, 60_000);

  it('a slow chained sink keeps the source buffer bounded: collected minus written never exceeds its capacity', async () => {
    const capacity = 64;
    const total = 3_000;
    // One process, one chain: what the source collected and the sink has not seen is the buffer.
    const counters = { collected: 0, written: 0, maxAhead: 0, waited: 0 };
    const source: SourceFunction<number> = {
      async run(ctx) {
        for (let i = 0; i < total; i++) {
          const full = ctx.collect(i);
          counters.collected++;
          counters.maxAhead = Math.max(counters.maxAhead, counters.collected - counters.written);
          if (full) {
            counters.waited++;
            await full;
          }
        }
      },
      cancel() {},
    };
    class SlowSink extends RichSinkFunction<number> {
      invoke(): void {
        counters.written++;
        // Slow on purpose: a few hundred microseconds of work per record.
        const until = performance.now() + 0.2;
        while (performance.now() < until);
      }
    }
    const env = StreamExecutionEnvironment.createLocalEnvironment(1);
    env.addSource(source, 'fast', { bufferCapacity: capacity }).addSink(new SlowSink());
    await env.execute();
    expect(counters.written).toBe(total);
    expect(counters.maxAhead).toBeLessThanOrEqual(capacity);
    expect(counters.waited).toBeGreaterThanOrEqual(total / capacity - 1);
  }, 60_000);

  it('refuses in one line: a non-parallel source above p=1, a Source or a lambda given to addSource', () => {
    const env = StreamExecutionEnvironment.createLocalEnvironment(4);
    const plain: SourceFunction<number> = { run() {}, cancel() {} };
    const stream = env.addSource(plain, 'plain');
    // The environment's default of 4 does not apply to a non-parallel source.
    expect(stream.getParallelism()).toBe(1);
    expect(() => stream.setParallelism(2)).toThrow(JobBuildError);
    expect(() => stream.setParallelism(2)).toThrow(
      "parallelism 2 of 'plain' is above its max parallelism 1 (a SourceFunction runs with one subtask: extend ParallelSourceFunction or RichParallelSourceFunction to run it in parallel)",
    );
    class Rich extends RichSourceFunction<number> {
      run(): void {}
      cancel(): void {}
    }
    expect(() => env.addSource(new Rich()).setParallelism(3)).toThrow(/max parallelism 1 \(a SourceFunction runs with one subtask/);
    expect(() => env.addSource(new SequenceSource(1, 3) as never)).toThrow(
      'addSource() takes a SourceFunction (an object with run(ctx) and cancel()); pass a Source to fromSource(source, watermarkStrategy, name)',
    );
    expect(() => env.addSource((() => 1) as never)).toThrow(/^addSource\(\) expects a SourceFunction \(an object with run\(ctx\) and cancel\(\)\), got /);
  });

  it('slotSharingGroup() is accepted on operators and sinks and changes nothing', async () => {
    const got: number[] = [];
    const env = StreamExecutionEnvironment.createLocalEnvironment(1);
    env
      .fromSequence(1, 5)
      .slotSharingGroup('source-group')
      .map((x: number) => x * 2)
      .slotSharingGroup({ getName: () => 'map-group' })
      .addSink((x: number) => void got.push(x))
      .slotSharingGroup('sinks');
    expect(() => env.fromSequence(1, 2).slotSharingGroup('')).toThrow(JobBuildError);
    await env.execute();
    expect(got.sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10]);
  }, 60_000);

  it('a run that rejects fails the job with one line naming the source', async () => {
    const env = StreamExecutionEnvironment.createLocalEnvironment(1);
    env.setRestartStrategy(RestartStrategies.noRestart());
    env
      .addSource<number>(
        {
          async run(ctx) {
            await ctx.collect(1);
            throw new Error('the taxi feed went away');
          },
          cancel() {},
        },
        'Taxi Feed',
      )
      .addSink(() => {});
    const error = await env.execute().then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toBe('Source: Taxi Feed failed: the taxi feed went away');
    expect(error?.message).not.toContain('\n');
  }, 60_000);
});
