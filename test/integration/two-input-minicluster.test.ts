import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ProcessFunction,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastReadOnlyContext,
  type KeyedProcessContext,
  type ListState,
  type ProcessContext,
  type StreamExecutionEnvironment,
  type ValueState,
} from '../../src/api/index.js';
import { buildJob } from '../../src/api/build-job.js';
import { newId } from '../../src/core/ids.js';
import { registerInProcessJob, unregisterInProcessJob } from '../../src/cluster/in-process-jobs.js';
import { executeLocally } from '../../src/cluster/local-executor.js';
import { MiniCluster } from '../../src/cluster/mini-cluster.js';
import { JobManagerClient } from '../../src/cluster/rpc/job-manager-client.js';

/** Two TaskManagers with one slot each: parallelism-2 jobs exchange records over gRPC. */
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

/** Runs `builder` on the shared cluster; returns the final status and failure cause. */
async function run(builder: (env: StreamExecutionEnvironment) => void): Promise<{ status: string; failureCause: string }> {
  const build = () => buildJob(builder, []);
  const first = await build();
  const jobId = newId();
  const hash = registerInProcessJob(build, jobId);
  try {
    await client.submitJob({ bundle: Buffer.from(hash), jobGraph: first.jobGraph, programArgs: [], jobId });
    const info = await client.watchJob(jobId);
    return { status: info.status, failureCause: info.failureCause };
  } finally {
    unregisterInProcessJob(hash);
  }
}

interface Order { id: number; user: string; amount: number }
interface Payment { orderId: number; paid: number }

const orders: Order[] = Array.from({ length: 200 }, (_, i) => ({ id: i, user: `u${i % 7}`, amount: (i * 37) % 101 }));
const payments: Payment[] = orders.filter((o) => o.id % 3 !== 0).map((o) => ({ orderId: o.id, paid: o.amount })).reverse();

/** Emits an order once its payment arrived, whichever came first (keyed state shared by both inputs). */
class PaidOrders extends KeyedCoProcessFunction<number, Order, Payment, string> {
  private order!: ValueState<Order>;
  private paid!: ValueState<number>;
  override open(): void {
    this.order = this.getRuntimeContext().getState(new ValueStateDescriptor<Order>('order'));
    this.paid = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('paid'));
  }
  processElement1(o: Order, ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    const p = this.paid.value();
    if (p === undefined) this.order.update(o);
    else out.collect(`${ctx.getCurrentKey()}:${o.user}:${p}`);
  }
  processElement2(p: Payment, ctx: KeyedProcessContext<number>, out: Collector<string>): void {
    const o = this.order.value();
    if (o === undefined) this.paid.update(p.paid);
    else out.collect(`${ctx.getCurrentKey()}:${o.user}:${p.paid}`);
  }
}

interface Rule { threshold: number }
const ruleState = new MapStateDescriptor<string, Rule>('rule');
const pendingState = new ListStateDescriptor<Order>('pending');

/** Emits orders at or above the broadcast threshold; orders that came before the rule wait in keyed state. */
class BigOrders extends KeyedBroadcastProcessFunction<string, Order, Rule, string> {
  private pending!: ListState<Order>;
  override open(): void {
    this.pending = this.getRuntimeContext().getListState(pendingState);
  }
  processElement(o: Order, ctx: KeyedBroadcastReadOnlyContext<string>, out: Collector<string>): void {
    const rule = ctx.getBroadcastState(ruleState).get('threshold');
    if (!rule) this.pending.add(o);
    else if (o.amount >= rule.threshold) out.collect(`${o.id}`);
  }
  processBroadcastElement(rule: Rule, ctx: KeyedBroadcastContext, out: Collector<string>): void {
    ctx.getBroadcastState(ruleState).put('threshold', rule);
    ctx.applyToKeyedState(pendingState, (_key: string, state: ListState<Order>) => {
      for (const o of state.get()) if (o.amount >= rule.threshold) out.collect(`${o.id}`);
      state.clear();
    });
  }
}

describe('two-input operators on a MiniCluster (parallelism 2, two TaskManagers)', () => {
  it('connect + keyBy + KeyedCoProcessFunction matches every paid order exactly once', async () => {
    const results: string[] = [];
    const r = await run((env) => {
      env.setParallelism(2);
      const o = env.fromCollection(orders);
      const p = env.fromCollection(payments);
      o.connect(p)
        .keyBy((x: Order) => x.id, (x: Payment) => x.orderId)
        .process(new PaidOrders())
        .addSink((v: string) => void results.push(v));
    });
    expect(r).toEqual({ status: 'FINISHED', failureCause: '' });
    const want = orders.filter((o) => o.id % 3 !== 0).map((o) => `${o.id}:${o.user}:${o.amount}`);
    expect(results.sort()).toEqual(want.sort());
  }, 30_000);

  it('broadcast state: every subtask gets the rule and applies it to its keys', async () => {
    const results: string[] = [];
    const r = await run((env) => {
      env.setParallelism(2);
      const rules = env.fromElements<Rule>({ threshold: 60 }).broadcast(ruleState);
      env.fromCollection(orders)
        .keyBy((o: Order) => o.user)
        .connect(rules)
        .process(new BigOrders())
        .addSink((v: string) => void results.push(v));
    });
    expect(r).toEqual({ status: 'FINISHED', failureCause: '' });
    expect(results.map(Number).sort((a, b) => a - b)).toEqual(orders.filter((o) => o.amount >= 60).map((o) => o.id));
  }, 30_000);

  it('interval join pairs every left with the rights of its key inside the interval', async () => {
    const lefts = Array.from({ length: 120 }, (_, i) => ({ k: i % 5, ts: i * 10 }));
    const rights = Array.from({ length: 90 }, (_, i) => ({ k: i % 4, ts: i * 13 + 3 }));
    const results: string[] = [];
    const r = await run((env) => {
      env.setParallelism(2);
      const strategy = <T extends { ts: number }>() => WatermarkStrategy.forMonotonousTimestamps<T>().withTimestampAssigner((e: T) => e.ts);
      const left = env.fromCollection(lefts).assignTimestampsAndWatermarks(strategy());
      const right = env.fromCollection(rights).assignTimestampsAndWatermarks(strategy());
      left.keyBy((e) => e.k)
        .intervalJoin(right.keyBy((e) => e.k))
        .between(-15, 20)
        .upperBoundExclusive()
        .process((a, b, ctx, out: Collector<string>) => out.collect(`${a.k}:${a.ts}:${b.ts}:${ctx.timestamp()}`))
        .addSink((v: string) => void results.push(v));
    });
    expect(r).toEqual({ status: 'FINISHED', failureCause: '' });
    const want: string[] = [];
    for (const a of lefts) for (const b of rights) if (a.k === b.k && b.ts >= a.ts - 15 && b.ts < a.ts + 20) want.push(`${a.k}:${a.ts}:${b.ts}:${Math.max(a.ts, b.ts)}`);
    expect(want.length).toBeGreaterThan(50);
    expect(results.sort()).toEqual(want.sort());
  }, 30_000);
});

describe('bad input fails the job with a message naming the operator', () => {
  it('an interval join over elements without timestamps', async () => {
    const r = await run((env) => {
      env.fromElements(1, 2).keyBy((x: number) => x)
        .intervalJoin(env.fromElements(1, 2).keyBy((x: number) => x))
        .between(-1, 1)
        .process((a, b, _ctx, out: Collector<number>) => out.collect(a + b))
        .name('Join Without Time')
        .addSink(() => {});
    });
    expect(r.status).toBe('FAILED');
    expect(r.failureCause).toMatch(/Join Without Time: an element of the (left|right) input has no timestamp/);
  }, 30_000);

  it('keyed state in a non-keyed ProcessFunction', async () => {
    const run1 = executeLocally(() =>
      buildJob((env) => {
        env.fromElements(1).process(new (class extends ProcessFunction<number, number> {
          processElement(v: number): void {
            this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count')).update(v);
          }
        })()).name('NotKeyed').addSink(() => {});
      }, []),
    );
    await expect(run1).rejects.toThrow(/NotKeyed.*keyed state "count" is only available on a keyed stream/);
  }, 30_000);

  it('a state name registered twice with different kinds', async () => {
    const run1 = executeLocally(() =>
      buildJob((env) => {
        env.fromElements(1).keyBy((x: number) => x).process(new (class extends KeyedProcessFunction<number, number, number> {
          processElement(v: number): void {
            this.getRuntimeContext().getState(new ValueStateDescriptor<number>('s')).update(v);
            this.getRuntimeContext().getListState(new ListStateDescriptor<number>('s')).add(v);
          }
        })()).name('TwoKinds').addSink(() => {});
      }, []),
    );
    await expect(run1).rejects.toThrow(/TwoKinds.*state "s" is already registered as value state, cannot register it as list state/);
  }, 30_000);

  it('a timer registered from a non-keyed operator', async () => {
    const run1 = executeLocally(() =>
      buildJob((env) => {
        env.fromElements(1).process(new (class extends ProcessFunction<number, number> {
          processElement(v: number, ctx: ProcessContext): void {
            ctx.timerService().registerProcessingTimeTimer(v);
          }
        })()).name('NoTimersHere').addSink(() => {});
      }, []),
    );
    await expect(run1).rejects.toThrow(/NoTimersHere.*setting timers is only supported on a keyed stream/);
  }, 30_000);
});
