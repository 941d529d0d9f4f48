import { describe, expect, it } from 'vitest';
import {
  buildJob,
  CheckpointingMode,
  Duration,
  EmbeddedRocksDBStateBackend,
  ExternalizedCheckpointCleanup,
  HashMapStateBackend,
  JobBuildError,
  OperatorTestHarness,
  RestartStrategies,
  RuntimeExecutionMode,
  StreamExecutionEnvironment,
  Time,
  TimeCharacteristic,
  TimeDomain,
  TimeUnit,
} from '../../src/index.js';

describe("Flink's environment and configuration setters", () => {
  it('disableOperatorChaining() puts every operator in its own vertex', async () => {
    const build = (disable: boolean) =>
      buildJob((env) => {
        if (disable) env.disableOperatorChaining();
        env.fromElements(1, 2).map((x: number) => x + 1).filter((x) => x > 0).print();
      }, []);
    const chained = (await build(false)).jobGraph.vertices.length;
    const unchained = await build(true);
    expect(chained).toBe(1);
    expect(unchained.jobGraph.vertices.length).toBe(4);
  });

  it('setRuntimeMode: STREAMING accepted, BATCH and AUTOMATIC refused in one line', () => {
    const env = new StreamExecutionEnvironment();
    expect(env.setRuntimeMode(RuntimeExecutionMode.STREAMING)).toBe(env);
    expect(() => env.setRuntimeMode(RuntimeExecutionMode.BATCH)).toThrow(JobBuildError);
    expect(() => env.setRuntimeMode(RuntimeExecutionMode.AUTOMATIC)).toThrow(/STREAMING mode only/);
  });

  it('setStreamTimeCharacteristic sets the auto watermark interval as Flink >= 1.12 does', () => {
    const env = new StreamExecutionEnvironment();
    env.setStreamTimeCharacteristic(TimeCharacteristic.ProcessingTime);
    expect(env.getConfig().getAutoWatermarkInterval()).toBe(0);
    env.setStreamTimeCharacteristic(TimeCharacteristic.EventTime);
    expect(env.getConfig().getAutoWatermarkInterval()).toBe(200);
    expect(env.getStreamTimeCharacteristic()).toBe('EventTime');
  });

  it("RestartStrategies under Flink's names land in the job settings", async () => {
    const job = await buildJob((env) => {
      env.setRestartStrategy(RestartStrategies.fixedDelayRestart(3, Time.of(10, TimeUnit.SECONDS)));
      env.enableCheckpointing(1000, CheckpointingMode.AT_LEAST_ONCE);
      env.getCheckpointConfig().setExternalizedCheckpointCleanup(ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION);
      env.fromElements(1).print();
    }, []);
    expect(job.jobGraph.settings.restartStrategy).toEqual({ type: 'fixed-delay', attempts: 3, delayMs: 10_000 });
    expect(job.jobGraph.settings.checkpoint).toMatchObject({ intervalMs: 1000, mode: 'AT_LEAST_ONCE', retention: 'RETAIN_ON_CANCELLATION' });
    expect(RestartStrategies.failureRateRestart(3, Time.minutes(5), Time.seconds(10))).toEqual({ type: 'failure-rate', maxFailuresPerInterval: 3, failureRateIntervalMs: 300_000, delayMs: 10_000 });
    expect(RestartStrategies.exponentialDelayRestart(1000, 60_000, 2, 3_600_000, 0.1)).toMatchObject({ type: 'exponential-delay', backoffMultiplier: 2 });
    const env = new StreamExecutionEnvironment();
    env.setRestartStrategy(RestartStrategies.noRestart()).setRestartStrategy(RestartStrategies.fallBackRestart());
    expect(env.getSettingsDraft().restartStrategy).toBeUndefined();
  });

  it('checkpoint config getters, state backend names, Duration and TimeDomain', () => {
    const env = new StreamExecutionEnvironment();
    const cc = env.getCheckpointConfig().setCheckpointTimeout(5000).setMinPauseBetweenCheckpoints(7).setMaxConcurrentCheckpoints(2).setTolerableCheckpointFailureNumber(4);
    expect([cc.getCheckpointTimeout(), cc.getMinPauseBetweenCheckpoints(), cc.getMaxConcurrentCheckpoints(), cc.getTolerableCheckpointFailureNumber()]).toEqual([5000, 7, 2, 4]);
    expect(env.setStateBackend(new HashMapStateBackend()).getStateBackend()?.kind).toBe('memory');
    expect(env.setStateBackend(new EmbeddedRocksDBStateBackend(true)).getStateBackend()?.kind).toBe('leveldb');
    expect(Duration.ofSeconds(5)).toBe(5000);
    expect(Duration.ofMinutes(2)).toBe(120_000);
    expect(TimeDomain.EVENT_TIME).toBe('EVENT_TIME');
    expect(StreamExecutionEnvironment.createLocalEnvironment(3).getParallelism()).toBe(3);
  });

  it("keyBy(0) / keyBy('field') as Flink's deprecated forms, fromData and generateSequence", async () => {
    const h = await OperatorTestHarness.forStream<[string, number], [string, number]>((s) => s.keyBy(0).sum(1));
    for (const t of [['a', 1], ['b', 2], ['a', 3]] as [string, number][]) h.processElement(t);
    expect(h.extractOutputValues()).toEqual([['a', 1], ['b', 2], ['a', 4]]);
    await h.close();
    const h2 = await OperatorTestHarness.forStream<{ word: string; n: number }, { word: string; n: number }>((s) => s.keyBy('word').maxBy('n'));
    h2.processElement({ word: 'x', n: 1 });
    expect(() => h2.processElement({ n: 1 } as never)).toThrow(/keyBy\("word"\): the record has no field "word"/);
    await h2.close();
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.fromData(1, 2).print();
    expect(env.generateSequence(1, 3)).toBeDefined();
  });
});

describe("Flink's custom trigger and watermark generator forms", () => {
  it('a trigger returning TriggerResult.FIRE and a generator emitting new Watermark(ts)', async () => {
    const { Trigger, TriggerResult, Watermark, WatermarkStrategy, GlobalWindows } = await import('../../src/index.js');
    class EveryOther extends Trigger<number> {
      private n = 0;
      onElement(): 'CONTINUE' | 'FIRE' {
        return ++this.n % 2 === 0 ? TriggerResult.FIRE : TriggerResult.CONTINUE;
      }
      onProcessingTime() {
        return TriggerResult.CONTINUE;
      }
      onEventTime() {
        return TriggerResult.CONTINUE;
      }
      clear(): void {}
    }
    const strategy = WatermarkStrategy.forGenerator<number>(() => ({
      onEvent: (_e, ts, out) => out.emitWatermark(new Watermark(ts - 1)),
      onPeriodicEmit: () => undefined,
    }));
    const h = await OperatorTestHarness.forStream<number, number>((s) =>
      s.assignTimestampsAndWatermarks(strategy).windowAll(GlobalWindows.create()).trigger(new EveryOther()).sum(),
    );
    for (const n of [1, 2, 3, 4]) h.processElement(n, n * 10);
    expect(h.extractOutputValues()).toEqual([3, 10]);
    expect(h.getOutput().filter((e) => e.kind === 'watermark').map((e) => (e as { timestamp: number }).timestamp)).toEqual([9, 19, 29, 39]);
    await h.close();
  });
});
