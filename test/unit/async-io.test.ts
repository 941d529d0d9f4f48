/**
 * Async I/O (AsyncDataStream) on a local mini-cluster: ordered and unordered results against
 * random per-call delays, watermarks never crossed, timeouts, retries, failures, the state-less
 * runtime context of rich async functions, backpressure with a small capacity, and the one-line
 * failure of a synchronous function that returns a Promise.
 */
import { describe, expect, it } from 'vitest';
import {
  AsyncDataStream,
  AsyncRetryStrategies,
  ProcessFunction,
  RestartStrategies,
  RetryPredicates,
  RichAsyncFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type ProcessContext,
  type ResultFuture,
} from '../../src/index.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function env1(): StreamExecutionEnvironment {
  const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 1 });
  env.setRestartStrategy(RestartStrategies.noRestart());
  return env;
}

/** The error a failed job run rejects with (its message is one line). */
async function failureOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the job did not fail');
}

describe('AsyncDataStream', () => {
  it('orderedWait emits in input order, losing and duplicating nothing, with random per-call delays', async () => {
    const env = env1();
    const n = 3000;
    const out = await AsyncDataStream.orderedWait(
      env.fromSequence(1, n),
      async (x: number) => {
        await sleep(Math.random() * 4);
        return x % 7 === 0 ? [] : x % 5 === 0 ? [x, -x] : x; // none, two, or one result
      },
      60_000,
      64,
    ).executeAndCollect();
    const expected: number[] = [];
    for (let x = 1; x <= n; x++) if (x % 7 !== 0) expected.push(...(x % 5 === 0 ? [x, -x] : [x]));
    expect(out).toEqual(expected);
  });

  it("orderedWait takes Flink's AsyncFunction shape: RichAsyncFunction with open, close and runtime context", async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 2 });
    class Lookup extends RichAsyncFunction<number, string> {
      private prefix = '';
      override open(): void {
        this.prefix = `s${this.getRuntimeContext().getIndexOfThisSubtask()}`;
      }
      asyncInvoke(x: number, result: ResultFuture<string>): void {
        setTimeout(() => result.complete([`${this.prefix}:${x}`]), Math.random() * 3);
      }
    }
    const out = await AsyncDataStream.orderedWait(env.fromSequence(1, 400), new Lookup(), 60_000).executeAndCollect();
    expect(out.map((s) => Number(s.split(':')[1])).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(new Set(out.map((s) => s.split(':')[0]))).toEqual(new Set(['s0', 's1']));
  });

  it('unorderedWait emits as results arrive but never moves a result across a watermark', async () => {
    const env = env1();
    const n = 3000;
    // A watermark every 20 records: segments of 20 records.
    const strategy = WatermarkStrategy.forGenerator<number>(() => ({
      onEvent: (_e, ts, out) => {
        if (ts % 20 === 0) out.emitWatermark(ts - 1);
      },
      onPeriodicEmit: () => undefined,
    })).withTimestampAssigner((x) => x);
    class Check extends ProcessFunction<number, number> {
      processElement(x: number, ctx: ProcessContext, out: Collector<number>): void {
        out.collect(x);
        // A record at or below the watermark that already passed would have crossed it.
        if (ctx.timestamp()! <= ctx.timerService().currentWatermark()) out.collect(-x);
      }
    }
    const out = await AsyncDataStream.unorderedWait(
      env.fromSequence(1, n).assignTimestampsAndWatermarks(strategy),
      async (x: number) => {
        await sleep(Math.random() * 4);
        return x;
      },
      60_000,
      100,
    )
      .process(new Check())
      .executeAndCollect();
    expect(out.filter((x) => x < 0)).toEqual([]);
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // Unordered indeed: some result overtook an earlier one.
    expect(out.some((x, i) => i > 0 && x < out[i - 1]!)).toBe(true);
  });

  it('fails the job on a timeout, naming the operator and the element', async () => {
    const env = env1();
    const stream = AsyncDataStream.unorderedWait(env.fromElements({ id: 1 }, { id: 2 }), (e: { id: number }) => new Promise<number>((r) => e.id === 1 && r(1)), 200);
    const msg = await failureOf(stream.executeAndCollect());
    expect(msg).toMatch(/Async Wait failed: async call for element \{"id":2\} timed out after 200 ms/);
    expect(msg).not.toContain('\n');
  });

  it("uses the function's own timeout() when it has one", async () => {
    const env = env1();
    const fn = {
      asyncInvoke(x: number, r: ResultFuture<string>): void {
        if (x % 2 === 0) r.complete([`ok ${x}`]); // odd ones never answer
      },
      timeout(x: number, r: ResultFuture<string>): void {
        r.complete([`fallback ${x}`]);
      },
    };
    const out = await AsyncDataStream.orderedWait(env.fromSequence(1, 6), fn, 100).executeAndCollect();
    expect(out).toEqual(['fallback 1', 'ok 2', 'fallback 3', 'ok 4', 'fallback 5', 'ok 6']);
  });

  it('fails the job when a call rejects, naming the operator and the element', async () => {
    const env = env1();
    const stream = AsyncDataStream.orderedWait(env.fromSequence(1, 100), async (x: number) => {
      if (x === 42) throw new Error('connection refused');
      return x;
    }, 0);
    const msg = await failureOf(stream.executeAndCollect());
    expect(msg).toMatch(/Async Wait failed: async call for element 42 failed: connection refused/);
  });

  it('retries failed calls with a fixed delay, and fails once the attempts are used up', async () => {
    const calls = new Map<number, number>();
    const flaky = async (x: number): Promise<number> => {
      const n = (calls.get(x) ?? 0) + 1;
      calls.set(x, n);
      if (n <= 2 || x === 13) throw new Error(`busy ${n}`);
      return x;
    };
    const retry = AsyncRetryStrategies.fixedDelay<number>(2, 5).ifException(RetryPredicates.HAS_EXCEPTION_PREDICATE).build();
    const ok = await AsyncDataStream.orderedWaitWithRetry(env1().fromSequence(1, 12), flaky, 0, 10, retry).executeAndCollect();
    expect(ok).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // One call and two retries each.
    expect([...calls.values()].every((n) => n === 3)).toBe(true);
    calls.clear();
    const msg = await failureOf(AsyncDataStream.unorderedWaitWithRetry(env1().fromElements(13), flaky, 0, 10, retry).executeAndCollect());
    expect(msg).toMatch(/async call for element 13 failed: busy 3/);
    expect(calls.get(13)).toBe(3);
  });

  it('retries on a result predicate with exponential backoff, and emits the last result once attempts are used up', async () => {
    const calls = new Map<number, number>();
    const eventually = async (x: number): Promise<string[]> => {
      const n = (calls.get(x) ?? 0) + 1;
      calls.set(x, n);
      // 'never' rows do not appear; the others on the third call.
      return x < 0 || n < 3 ? [] : [`row ${x}`];
    };
    const retry = AsyncRetryStrategies.exponentialBackoff<string>(3, 2, 20, 2).ifResult(RetryPredicates.EMPTY_RESULT_PREDICATE).build();
    expect([2, 3, 4].map((a) => retry.getBackoffTimeMillis(a))).toEqual([4, 8, 16]);
    const out = await AsyncDataStream.unorderedWaitWithRetry(env1().fromElements(1, -1, 2), eventually, 0, 10, retry).executeAndCollect();
    expect(out.sort()).toEqual(['row 1', 'row 2']);
    expect(calls.get(1)).toBe(3);
    // Never satisfied: the first call and three retries, then its (empty) result goes on.
    expect(calls.get(-1)).toBe(4);
  });

  it('fails with one line when a rich async function touches state', async () => {
    class Stateful extends RichAsyncFunction<number, number> {
      override open(): void {
        this.getRuntimeContext().getState(new ValueStateDescriptor<number>('n', 0));
      }
      asyncInvoke(x: number, r: ResultFuture<number>): void {
        r.complete([x]);
      }
    }
    const env = env1();
    const msg = await failureOf(AsyncDataStream.orderedWait(env.fromSequence(1, 3).keyBy((x) => x), new Stateful(), 0).executeAndCollect());
    expect(msg).toMatch(/Async Wait.*getState\(\) is not available in an async function/);
    expect(msg).not.toContain('\n');
  });

  it('keeps at most capacity calls in flight and throttles the source (backpressure, bounded memory)', async () => {
    const env = env1();
    const n = 3000;
    let emitted = 0;
    let started = 0;
    let completed = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let maxAhead = 0;
    const out = await AsyncDataStream.orderedWait(
      env.fromSequence(1, n).map((x: number) => {
        emitted++;
        maxAhead = Math.max(maxAhead, emitted - completed);
        return x;
      }),
      async (x: number) => {
        started++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await sleep(1); // a slow service
        inFlight--;
        completed++;
        return x;
      },
      0,
      10,
    ).executeAndCollect();
    expect(out.length).toBe(n);
    expect(started).toBe(n);
    expect(maxInFlight).toBeLessThanOrEqual(10);
    // The source is held back: at most the capacity plus one poll of the source ahead of the service,
    // instead of the whole input (3000) queued in memory.
    expect(maxAhead).toBeLessThanOrEqual(10 + 256 + 1);
  });

  it('a map function returning a Promise fails the job at its first record with one line pointing to AsyncDataStream', async () => {
    const env = env1();
    const mapped: number[] = [];
    const msg = await failureOf(
      env
        .fromSequence(1, 100)
        .map(async (x: number) => {
          mapped.push(x);
          return x;
        })
        .name('enrich')
        .executeAndCollect(),
    );
    expect(msg).toMatch(/^enrich failed: map\(\) returned a Promise.*AsyncDataStream\.orderedWait/);
    expect(msg).not.toContain('\n');
    expect(mapped).toEqual([1]);
  });

  it.each([
    ['flatMap', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.flatMap(async () => undefined).addSink(() => undefined)],
    ['filter', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.filter((async () => true) as never).addSink(() => undefined)],
    ['sink', (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => s.addSink(async () => undefined)],
  ])('a %s function returning a Promise fails with the same line', async (_what, build) => {
    const env = env1();
    build(env.fromSequence(1, 10));
    const msg = await failureOf(env.execute('promise'));
    expect(msg).toMatch(/returned a Promise.*AsyncDataStream/);
  });
});
