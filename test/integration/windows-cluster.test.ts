/**
 * Event time and windows on a real in-process MiniCluster (two TaskManagers, parallelism 2,
 * records crossing gRPC), on both state backends: window and timer results must equal what
 * this test computes from the same input, and events far behind the watermark must reach the
 * late side output, exactly those.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataGeneratorSource,
  EventTimeSessionWindows,
  KeyedProcessFunction,
  MapStateDescriptor,
  OutputTag,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type KeyedProcessContext,
  type MapState,
  type OnTimerContext,
  type StreamExecutionEnvironment,
  type TimeWindow,
  type WatermarkGenerator,
  type WatermarkOutput,
} from '../../src/index.js';
import { buildJob } from '../../src/api/build-job.js';
import { newId } from '../../src/core/ids.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';

let cluster: MiniCluster;
let client: JobManagerClient;

beforeAll(async () => {
  cluster = new MiniCluster({ numTaskManagers: 2, slotsPerTaskManager: 1 });
  await cluster.start();
  client = new JobManagerClient(cluster.jobManagerAddress);
}, 30_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

async function run(builder: (env: StreamExecutionEnvironment) => void): Promise<void> {
  const build = () => buildJob(builder, []);
  const first = await build();
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  try {
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph: first.jobGraph, programArgs: [], jobId });
    const info = await client.watchJob(jobId);
    expect(info.failureCause).toBe('');
    expect(info.status).toBe('FINISHED');
  } finally {
    unregisterInProcessJob(hash);
  }
}

/** One event: key and event time. */
type Ev = { k: string; t: number };

const N = 12_000;
const KEYS = 7;
const OUT_OF_ORDER = 400;
/** Deterministic jitter in [0, OUT_OF_ORDER]. */
const jitter = (i: number) => (Math.imul(i + 1, 2654435761) >>> 0) % (OUT_OF_ORDER + 1);
/** Event i: roughly 10 ms apart, shuffled back by up to 400 ms, with a silent stretch every 20 s (sessions end there). */
function event(i: number): Ev {
  const quiet = Math.floor(i / 500) % 4 === 3;
  return { k: `k${i % KEYS}`, t: quiet ? -1 : 100_000 + i * 10 - jitter(i) };
}
const events = Array.from({ length: N }, (_, i) => event(i)).filter((e) => e.t >= 0);

const count: AggregateFunction<Ev, number, number> = { createAccumulator: () => 0, add: (_e, a) => a + 1, getResult: (a) => a, merge: (a, b) => a + b };
const label = (k: string, w: TimeWindow, n: number) => `${k} ${w.start} ${w.end} ${n}`;

/** Counts per key and tumbling/sliding window, computed here. */
function expectedSliding(size: number, slide: number, input: readonly Ev[]): string[] {
  const m = new Map<string, number>();
  for (const e of input) {
    for (let start = e.t - (e.t % slide); start > e.t - size; start -= slide) {
      const id = `${e.k} ${start} ${start + size}`;
      m.set(id, (m.get(id) ?? 0) + 1);
    }
  }
  return [...m].map(([id, n]) => `${id} ${n}`).sort();
}

/** Sessions per key computed here: sorted timestamps, a new session when the next is more than `gap` after the last. */
function expectedSessions(gap: number, input: readonly Ev[]): string[] {
  const byKey = new Map<string, number[]>();
  for (const e of input) (byKey.get(e.k) ?? byKey.set(e.k, []).get(e.k)!).push(e.t);
  const out: string[] = [];
  for (const [k, ts] of byKey) {
    ts.sort((a, b) => a - b);
    let start = ts[0]!;
    let last = ts[0]!;
    let n = 1;
    for (const t of ts.slice(1)) {
      if (t <= last + gap) {
        last = t;
        n++;
      } else {
        out.push(`${k} ${start} ${last + gap} ${n}`);
        start = last = t;
        n = 1;
      }
    }
    out.push(`${k} ${start} ${last + gap} ${n}`);
  }
  return out.sort();
}

/** Counts per key and 1 s bucket with event-time timers (a bucket is emitted when the watermark passes it). */
class BucketCounter extends KeyedProcessFunction<string, Ev, string> {
  private counts!: MapState<number, number>;
  override open(): void {
    this.counts = this.getRuntimeContext().getMapState(new MapStateDescriptor<number, number>('buckets'));
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>): void {
    const bucket = e.t - (e.t % 1000);
    this.counts.put(bucket, (this.counts.get(bucket) ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(bucket + 999);
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    const bucket = ts - 999;
    out.collect(`${ctx.getCurrentKey()} ${bucket} ${bucket + 1000} ${this.counts.get(bucket)}`);
    this.counts.remove(bucket);
  }
}

describe.each(['memory', 'leveldb'] as const)('windows on a MiniCluster (%s backend)', (backend) => {
  it('tumbling, sliding and session counts and timer buckets over out-of-order input within the bound', async () => {
    const results = { tumbling: [] as string[], sliding: [] as string[], sessions: [] as string[], timers: [] as string[] };
    await run((env) => {
      env.setParallelism(2).setStateBackend(backend);
      env.getConfig().setAutoWatermarkInterval(20);
      const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(OUT_OF_ORDER + 50).withTimestampAssigner((e) => e.t);
      const input = env.fromSource(new DataGeneratorSource(event, N), strategy, 'events').filter((e) => e.t >= 0);
      const keyed = input.keyBy((e) => e.k);
      keyed
        .window(TumblingEventTimeWindows.of(1000))
        .aggregate(count, (k: string, ctx, n, out: Collector<string>) => out.collect(label(k, ctx.window, [...n][0]!)))
        .addSink((s: string) => void results.tumbling.push(s));
      keyed
        .window(SlidingEventTimeWindows.of(2000, 500))
        .process((k: string, ctx, els, out: Collector<string>) => out.collect(label(k, ctx.window, [...els].length)))
        .addSink((s: string) => void results.sliding.push(s));
      keyed
        .window(EventTimeSessionWindows.withGap(300))
        .aggregate(count, (k: string, ctx, n, out: Collector<string>) => out.collect(label(k, ctx.window, [...n][0]!)))
        .addSink((s: string) => void results.sessions.push(s));
      keyed.process(new BucketCounter()).addSink((s: string) => void results.timers.push(s));
    });
    const tumbling = expectedSliding(1000, 1000, events);
    expect(results.tumbling.sort()).toEqual(tumbling);
    expect(results.sliding.sort()).toEqual(expectedSliding(2000, 500, events));
    const sessions = expectedSessions(300, events);
    expect(sessions.length).toBeGreaterThan(KEYS * 3);
    expect(results.sessions.sort()).toEqual(sessions);
    expect(results.timers.sort()).toEqual(tumbling);
  }, 60_000);

  it('events far behind the watermark go to the late side output, exactly those', async () => {
    /** A watermark after every event (punctuated), so lateness does not depend on timing. */
    class Punctuated implements WatermarkGenerator<Ev> {
      private max = Number.NEGATIVE_INFINITY;
      onEvent(e: Ev, ts: number, out: WatermarkOutput): void {
        if (ts > this.max) this.max = ts;
        out.emitWatermark(this.max - 100);
      }
      onPeriodicEmit(): void {}
    }
    const input: Ev[] = [];
    const late: Ev[] = [];
    for (let i = 0; i < 3000; i++) {
      input.push({ k: `k${i % 5}`, t: 10_000 + i * 10 - (i % 7) * 10 });
      if (i % 250 === 249) {
        const behind = { k: `k${i % 3}`, t: 10_000 + i * 10 - 5000 };
        input.push(behind);
        late.push(behind);
      }
    }
    const onTime = input.filter((e) => !late.includes(e));
    const lateTag = new OutputTag<Ev>('late');
    const results = { windows: [] as string[], late: [] as Ev[] };
    await run((env) => {
      env.setParallelism(2).setStateBackend(backend);
      const strategy = WatermarkStrategy.forGenerator<Ev>(() => new Punctuated()).withTimestampAssigner((e) => e.t);
      const counted = env
        .fromCollection(input)
        .assignTimestampsAndWatermarks(strategy)
        // One generator sees every event in order (chained to the non-parallel source).
        .setParallelism(1)
        .keyBy((e) => e.k)
        .window(TumblingEventTimeWindows.of(1000))
        .sideOutputLateData(lateTag)
        .aggregate(count, (k: string, ctx, n, out: Collector<string>) => out.collect(label(k, ctx.window, [...n][0]!)));
      counted.addSink((s: string) => void results.windows.push(s));
      counted.getSideOutput(lateTag).addSink((e: Ev) => void results.late.push(e));
    });
    expect(results.late.sort((a, b) => a.t - b.t)).toEqual(late);
    expect(results.windows.sort()).toEqual(expectedSliding(1000, 1000, onTime));
  }, 60_000);
});
