import { describe, expect, it } from 'vitest';
import { buildJob, defineJob, SequenceSource, StreamExecutionEnvironment, WatermarkStrategy, type JobBuilder } from '../../src/api/index.js';
import { JobBuildError } from '../../src/core/errors.js';

async function buildError(fn: JobBuilder): Promise<JobBuildError> {
  try {
    await buildJob(defineJob(fn), [], { defaultParallelism: 2 });
  } catch (err) {
    expect(err).toBeInstanceOf(JobBuildError);
    return err as JobBuildError;
  }
  throw new Error('the job built');
}

describe('validation while building a job', () => {
  it('refuses non-positive parallelism', async () => {
    expect((await buildError((env) => void env.setParallelism(0))).message).toMatch(/parallelism must be a positive integer, got 0/);
    expect((await buildError((env) => void env.fromSequence(1, 2).map((x) => x).setParallelism(-1))).message).toMatch(
      /parallelism of 'Map' must be a positive integer, got -1/,
    );
  });

  it('refuses parallelism above max parallelism', async () => {
    expect((await buildError((env) => void env.fromSequence(1, 2).setMaxParallelism(4).setParallelism(5))).message).toMatch(
      /parallelism 5 of 'Sequence Source' is above its max parallelism 4/,
    );
    expect((await buildError((env) => void env.fromElements(1).setParallelism(2))).message).toMatch(/non-parallel source/);
    expect((await buildError((env) => void env.setParallelism(8).setMaxParallelism(4))).message).toMatch(/below the parallelism 8/);
    const late = await buildError((env) => {
      env.setMaxParallelism(4);
      env.fromSequence(1, 2).map((x) => x).setParallelism(6).print();
    });
    expect(late.message).toMatch(/parallelism 6 is above its max parallelism 4/);
  });

  it('refuses forward partitioning between different parallelisms', async () => {
    const err = await buildError((env) => {
      env.fromSequence(1, 10).forward().map((x) => x).setParallelism(3).print();
    });
    expect(err.message).toMatch(/forward partitioning from 'Source: Sequence Source' \(parallelism 2\) to 'Map' \(parallelism 3\)/);
  });

  it('refuses union of streams from different environments', async () => {
    const other = new StreamExecutionEnvironment();
    const err = await buildError((env) => {
      env.fromSequence(1, 2).union(other.fromSequence(1, 2)).print();
    });
    expect(err.message).toMatch(/different execution environments/);
  });

  it('refuses functions of the wrong shape', async () => {
    const bad = {} as never;
    expect((await buildError((env) => void env.fromSequence(1, 2).map(bad))).message).toBe(
      'map() expects a function or an object with a map() method, got an object without that method',
    );
    expect((await buildError((env) => void env.fromSequence(1, 2).filter(42 as never))).message).toMatch(/filter\(\) expects .* got a number/);
    expect((await buildError((env) => void env.fromSequence(1, 2).flatMap({ map: () => 1 } as never))).message).toMatch(/flatMap\(\)/);
    expect((await buildError((env) => void env.fromSequence(1, 2).process((() => {}) as never))).message).toMatch(
      /process\(\) expects a ProcessFunction/,
    );
    expect((await buildError((env) => void env.fromSequence(1, 2).keyBy(null as never))).message).toMatch(/keyBy\(\)/);
    expect((await buildError((env) => void env.fromSequence(1, 2).addSink({} as never))).message).toMatch(/invoke\(\)/);
    expect((await buildError((env) => void env.fromSequence(1, 2).sinkTo({} as never))).message).toMatch(/createWriter\(\)/);
    expect((await buildError((env) => void env.fromSource({} as never, WatermarkStrategy.noWatermarks(), 'x'))).message).toMatch(/createReader\(\)/);
    expect((await buildError((env) => void env.fromSource(new SequenceSource(1, 2), 'no' as never, 'x'))).message).toMatch(
      /expects a WatermarkStrategy/,
    );
    expect((await buildError((env) => void env.fromSequence(1, 2).keyBy((x) => x).sum(-1))).message).toMatch(/tuple index/);
  });

  it('refuses a duplicate uid, eagerly', async () => {
    const err = await buildError((env) => {
      const s = env.fromSequence(1, 2).uid('src');
      s.map((x) => x).uid('src');
    });
    expect(err.message).toBe("duplicate uid 'src': it is already used by another operator");
    const sinkErr = await buildError((env) => {
      const s = env.fromSequence(1, 2).uid('a');
      s.print().uid('a');
    });
    expect(sinkErr.message).toMatch(/duplicate uid 'a'/);
  });

  it('refuses a job without a sink', async () => {
    const err = await buildError((env) => void env.fromSequence(1, 2).map((x) => x));
    expect(err.message).toMatch(/the job has no sink: add print\(\), addSink\(\.\.\.\) or sinkTo\(\.\.\.\)/);
  });

  it('wraps a throwing builder, keeping the cause', async () => {
    const boom = new RangeError('no such topic');
    const err = await buildError(() => {
      throw boom;
    });
    expect(err.message).toBe('the job builder threw: RangeError: no such topic');
    expect(err.cause).toBe(boom);
    const asyncErr = await buildError(async () => {
      await Promise.resolve();
      throw new Error('later');
    });
    expect(asyncErr.message).toBe('the job builder threw: later');
  });

  it('refuses bad settings with clear messages', async () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.enableCheckpointing(0)).toThrow(/checkpoint interval must be a positive number/);
    expect(() => env.getCheckpointConfig().setCheckpointingMode('SOMETIMES' as never)).toThrow(/EXACTLY_ONCE or AT_LEAST_ONCE/);
    expect(() => env.getCheckpointConfig().setMaxConcurrentCheckpoints(0)).toThrow(JobBuildError);
    expect(() => env.setStateBackend('rocksdb' as never)).toThrow(/'memory', 'leveldb'/);
    expect(() => env.setRestartStrategy({ type: 'sometimes' } as never)).toThrow(/RestartStrategies/);
    expect(() => env.setBufferTimeout(-2)).toThrow(/buffer timeout/);
    expect(() => env.fromElements()).toThrow(/at least one element/);
    expect(() => env.fromSequence(5, 1)).toThrow(/from <= to/);
  });
});
