import { describe, expect, it } from 'vitest';
import {
  CoProcessFunction,
  KeyedCoProcessFunction,
  OperatorTestHarness,
  OutputTag,
  ValueStateDescriptor,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type ValueState,
} from '../../src/api/index.js';

interface Order { id: string; amount: number }
interface Payment { orderId: string; paid: number }

/** Non-keyed: tags each input, sends big orders to a side output. */
class Tagger extends CoProcessFunction<Order, Payment, string> {
  static readonly big = new OutputTag<Order>('big-orders');
  processElement1(o: Order, ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`order ${o.id}@${ctx.timestamp()}`);
    if (o.amount > 100) ctx.output(Tagger.big, o);
  }
  processElement2(p: Payment, _ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`payment ${p.orderId}`);
  }
}

/** Keyed: matches orders with payments; an unpaid order times out after 1000 ms of event time. */
class Matcher extends KeyedCoProcessFunction<string, Order, Payment, string> {
  private order!: ValueState<Order>;
  private payment!: ValueState<Payment>;
  override open(): void {
    this.order = this.getRuntimeContext().getState(new ValueStateDescriptor<Order>('order'));
    this.payment = this.getRuntimeContext().getState(new ValueStateDescriptor<Payment>('payment'));
  }
  processElement1(o: Order, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const p = this.payment.value();
    if (p) {
      out.collect(`${ctx.getCurrentKey()} paid ${p.paid}/${o.amount}`);
      this.payment.clear();
    } else {
      this.order.update(o);
      ctx.timerService().registerEventTimeTimer(ctx.timestamp()! + 1000);
    }
  }
  processElement2(p: Payment, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const o = this.order.value();
    if (o) {
      out.collect(`${ctx.getCurrentKey()} paid ${p.paid}/${o.amount}`);
      this.order.clear();
    } else {
      this.payment.update(p);
    }
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    if (this.order.value()) out.collect(`${ctx.getCurrentKey()} unpaid at ${ts}`);
    this.order.clear();
  }
}

describe('CoProcessFunction in the harness', () => {
  it('routes each input to its method, keeps timestamps and side outputs', async () => {
    const h = await OperatorTestHarness.forCoProcessFunction(new Tagger());
    h.processElement1({ id: 'a', amount: 5 }, 10);
    h.processElement2({ orderId: 'a', paid: 5 }, 11);
    h.processElement1({ id: 'b', amount: 500 }, 12);
    expect(h.extractOutputRecords()).toEqual([
      { value: 'order a@10', timestamp: 10 },
      { value: 'payment a', timestamp: 11 },
      { value: 'order b@12', timestamp: 12 },
    ]);
    expect(h.getSideOutput(Tagger.big)).toEqual([{ value: { id: 'b', amount: 500 }, timestamp: 12 }]);
    await h.close();
  });

  it('forwards the minimum of both input watermarks', async () => {
    const h = await OperatorTestHarness.forCoProcessFunction(new Tagger());
    h.processWatermark1(100);
    expect(h.getOutput()).toEqual([]);
    h.processWatermark2(50);
    h.processWatermark2(200);
    h.processWatermark1(300);
    expect(h.getOutput()).toEqual([
      { kind: 'watermark', timestamp: 50 },
      { kind: 'watermark', timestamp: 100 },
      { kind: 'watermark', timestamp: 200 },
    ]);
    await h.close();
  });

  it('refuses timers on non-keyed connected streams, naming the operator', async () => {
    const fn = new (class extends CoProcessFunction<number, number, number> {
      processElement1(_v: number, ctx: ProcessContext): void {
        ctx.timerService().registerEventTimeTimer(5);
      }
      processElement2(): void {}
    })();
    const h = await OperatorTestHarness.forCoProcessFunction(fn);
    expect(() => h.processElement1(1, 1)).toThrow(/Co-Process.*timers are only supported|Co-Process.*setting timers is only supported on keyed connected streams/);
    await h.close();
  });
});

describe('KeyedCoProcessFunction in the harness', () => {
  it('shares keyed state between both inputs of a key and fires event-time timers', async () => {
    const h = await OperatorTestHarness.forKeyedCoProcessFunction(new Matcher(), (o: Order) => o.id, (p: Payment) => p.orderId);
    h.processElement1({ id: 'a', amount: 10 }, 100);
    h.processElement2({ orderId: 'b', paid: 7 }, 150);
    h.processElement2({ orderId: 'a', paid: 10 }, 200);
    h.processElement1({ id: 'c', amount: 3 }, 300);
    h.processElement1({ id: 'b', amount: 7 }, 400);
    expect(h.extractOutputValues()).toEqual(['a paid 10/10', 'b paid 7/7']);
    // Only c still waits, and its timer (1300) is the only one that finds an order.
    expect(await h.numKeyedStateEntries()).toBe(1);
    h.processWatermark(1299);
    expect(h.extractOutputValues()).toHaveLength(2);
    h.processWatermark(1300);
    expect(h.extractOutputRecords().slice(2)).toEqual([{ value: 'c unpaid at 1300', timestamp: 1300 }]);
    expect(await h.numKeyedStateEntries()).toBe(0);
    await h.close();
  });

  it('runs on the LevelDB backend too', async () => {
    const h = await OperatorTestHarness.forKeyedCoProcessFunction(new Matcher(), (o: Order) => o.id, (p: Payment) => p.orderId, { stateBackend: 'leveldb' });
    h.processElement1({ id: 'a', amount: 10 }, 100);
    h.processElement1({ id: 'b', amount: 20 }, 100);
    h.processElement2({ orderId: 'a', paid: 10 }, 200);
    expect(h.extractOutputValues()).toEqual(['a paid 10/10']);
    expect(await h.numKeyedStateEntries()).toBe(1);
    h.processWatermark(5000);
    expect(h.extractOutputValues()).toEqual(['a paid 10/10', 'b unpaid at 1100']);
    await h.close();
  });

  it('fires processing-time timers when the harness clock advances', async () => {
    const fn = new (class extends KeyedCoProcessFunction<string, string, string, string> {
      processElement1(v: string, ctx: KeyedProcessContext<string>): void {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 50);
        void v;
      }
      processElement2(v: string, _ctx: KeyedProcessContext<string>, out: Collector<string>): void {
        out.collect(`2:${v}`);
      }
      override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
        out.collect(`${ctx.getCurrentKey()}@${ts}/${ctx.timeDomain()}`);
      }
    })();
    const h = await OperatorTestHarness.forKeyedCoProcessFunction(fn, (s: string) => s, (s: string) => s, { initialProcessingTime: 1000 });
    h.processElement1('x');
    h.setProcessingTime(1020);
    h.processElement1('y');
    expect(h.numProcessingTimeTimers()).toBe(2);
    h.setProcessingTime(1050);
    expect(h.extractOutputRecords()).toEqual([{ value: 'x@1050/PROCESSING_TIME', timestamp: undefined }]);
    h.setProcessingTime(2000);
    expect(h.extractOutputValues()).toEqual(['x@1050/PROCESSING_TIME', 'y@1070/PROCESSING_TIME']);
    await h.close();
  });

  it('CoMap and CoFlatMap through forTwoInputStreams', async () => {
    const h = await OperatorTestHarness.forTwoInputStreams((a: DataStream<number>, b: DataStream<string>) =>
      a.connect(b).flatMap({
        flatMap1: (n: number, out: Collector<string>) => { for (let i = 0; i < n; i++) out.collect(`n${i}`); },
        flatMap2: (s: string, out: Collector<string>) => out.collect(s.toUpperCase()),
      }),
    );
    h.processElement1(2, 5);
    h.processElement2('x', 6);
    expect(h.extractOutputRecords()).toEqual([
      { value: 'n0', timestamp: 5 },
      { value: 'n1', timestamp: 5 },
      { value: 'X', timestamp: 6 },
    ]);
    await h.close();
    const m = await OperatorTestHarness.forTwoInputStreams((a: DataStream<number>, b: DataStream<string>) =>
      a.connect(b).map({ map1: (n: number) => n * 2, map2: (s: string) => s.length }),
    );
    m.processElement1(21);
    m.processElement2('abc');
    expect(m.extractOutputValues()).toEqual([42, 3]);
    await m.close();
  });
});
