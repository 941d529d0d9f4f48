import { describe, expect, it } from 'vitest';
import {
  buildJob,
  CheckpointingMode,
  defineJob,
  FsStateBackend,
  LevelDBStateBackend,
  MemoryStateBackend,
  RestartStrategies,
  StreamExecutionEnvironment,
  Time,
  type JobBuilder,
} from '../../src/api/index.js';

const settingsOf = async (fn: JobBuilder, defaultParallelism?: number) =>
  (await buildJob(defineJob(fn), [], { defaultParallelism })).jobGraph.settings;

describe('StreamExecutionEnvironment settings', () => {
  it('has Flink defaults', async () => {
    const s = await settingsOf((env) => {
      env.fromSequence(1, 3).print();
    }, 3);
    expect(s).toEqual({
      parallelism: 3,
      maxParallelism: 128,
      bufferTimeoutMs: 5,
      checkpoint: {
        intervalMs: 0,
        mode: 'EXACTLY_ONCE',
        timeoutMs: 600_000,
        minPauseMs: 0,
        maxConcurrent: 1,
        tolerableFailures: 0,
        retention: 'DELETE_ON_CANCELLATION',
      },
      autoWatermarkIntervalMs: 200,
    });
  });

  it('derives the default max parallelism from the highest operator parallelism', async () => {
    const s = await settingsOf((env) => {
      env.fromSequence(1, 3).map((x) => x).setParallelism(200).print();
    });
    expect(s.maxParallelism).toBe(512);
  });

  it('records every setting in JobGraph.settings', async () => {
    const s = await settingsOf((env) => {
      env.setParallelism(4).setMaxParallelism(64).setBufferTimeout(20);
      env.enableCheckpointing(Time.seconds(60), CheckpointingMode.AT_LEAST_ONCE);
      const cfg = env.getCheckpointConfig();
      cfg.setCheckpointingMode(CheckpointingMode.EXACTLY_ONCE);
      cfg.setCheckpointTimeout(Time.minutes(2));
      cfg.setMinPauseBetweenCheckpoints(Time.seconds(30));
      cfg.setMaxConcurrentCheckpoints(2);
      cfg.setTolerableCheckpointFailureNumber(3);
      cfg.setRetainCheckpointsOnCancellation(true);
      env.setStateBackend(new LevelDBStateBackend('/tmp/x'));
      env.setRestartStrategy(RestartStrategies.fixedDelay(3, Time.seconds(10)));
      env.getConfig().setAutoWatermarkInterval(50);
      env.fromSequence(1, 3).print();
    });
    expect(s).toEqual({
      parallelism: 4,
      maxParallelism: 64,
      bufferTimeoutMs: 20,
      stateBackend: 'leveldb',
      checkpointStorage: '/tmp/x',
      checkpoint: {
        intervalMs: 60_000,
        mode: 'EXACTLY_ONCE',
        timeoutMs: 120_000,
        minPauseMs: 30_000,
        maxConcurrent: 2,
        tolerableFailures: 3,
        retention: 'RETAIN_ON_CANCELLATION',
      },
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 10_000 },
      autoWatermarkIntervalMs: 50,
    });
  });

  it('accepts every state backend form and restart strategy', async () => {
    const env = new StreamExecutionEnvironment();
    expect(env.setStateBackend('memory').getStateBackend()?.kind).toBe('memory');
    expect(env.setStateBackend(new MemoryStateBackend()).getStateBackend()?.kind).toBe('memory');
    env.setStateBackend(new FsStateBackend('/shared/chk'));
    expect([env.getStateBackend()?.kind, env.getCheckpointStorage()]).toEqual(['memory', '/shared/chk']);
    expect(env.setStateBackend('leveldb').getStateBackend()?.kind).toBe('leveldb');
    expect(RestartStrategies.noRestart()).toEqual({ type: 'none' });
    expect(RestartStrategies.exponentialDelay({ initialBackoffMs: 100, maxBackoffMs: 1000 })).toEqual({
      type: 'exponential-delay',
      initialBackoffMs: 100,
      maxBackoffMs: 1000,
      backoffMultiplier: 1.5,
      resetBackoffThresholdMs: 3_600_000,
      jitterFactor: 0.1,
    });
    expect(RestartStrategies.failureRate(3, 60_000, 1000)).toEqual({
      type: 'failure-rate',
      maxFailuresPerInterval: 3,
      failureRateIntervalMs: 60_000,
      delayMs: 1000,
    });
  });

  it('Time converts units to milliseconds', () => {
    expect([Time.milliseconds(7), Time.seconds(2), Time.minutes(1), Time.hours(1), Time.days(1)]).toEqual([
      7, 2000, 60_000, 3_600_000, 86_400_000,
    ]);
    expect(CheckpointingMode.EXACTLY_ONCE).toBe('EXACTLY_ONCE');
  });

  it('names the job: options, then execute(name), then the default', async () => {
    const job = defineJob(async (env) => {
      env.fromSequence(1, 2).print();
      await env.execute('my job');
    });
    expect((await buildJob(job, [])).jobGraph.jobName).toBe('my job');
    expect((await buildJob(job, [], { jobName: 'given' })).jobGraph.jobName).toBe('given');
    const unnamed = defineJob((env) => void env.fromSequence(1, 2).print());
    expect((await buildJob(unnamed, [])).jobGraph.jobName).toBe('Fluss Streaming Job');
  });

  it('getExecutionEnvironment() returns the builder environment inside a builder, across awaits', async () => {
    let inside: StreamExecutionEnvironment | undefined;
    let given: StreamExecutionEnvironment | undefined;
    await buildJob(
      defineJob(async (env) => {
        given = env;
        await new Promise((r) => setTimeout(r, 1));
        inside = StreamExecutionEnvironment.getExecutionEnvironment();
        inside.fromSequence(1, 2).print();
      }),
      [],
    );
    expect(inside).toBe(given);
    expect(StreamExecutionEnvironment.getExecutionEnvironment()).not.toBe(given);
  });

  it('passes the arguments to the builder', async () => {
    let seen: string[] = [];
    await buildJob(
      defineJob((env, args) => {
        seen = args;
        env.fromSequence(1, 2).print();
      }),
      ['a', 'b'],
    );
    expect(seen).toEqual(['a', 'b']);
  });
});
