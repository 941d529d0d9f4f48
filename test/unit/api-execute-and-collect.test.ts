import { describe, expect, it } from 'vitest';
import { KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor, type Collector, type KeyedProcessContext, type ValueState } from '../../src/api/index.js';

describe('executeAndCollect on a local mini-cluster', () => {
  it('runs map/filter/keyBy/sum and returns every record of the stream', async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 2 });
    const out = await env
      .fromElements('a b', 'b c', 'c c')
      .flatMap((line: string, c: Collector<string>) => line.split(' ').forEach((w) => c.collect(w)))
      .map((w): [string, number] => [w, 1])
      .keyBy((t) => t[0])
      .sum(1)
      .filter((t) => t[1] > 1)
      .executeAndCollect();
    expect(out.map((t) => t.join(':')).sort()).toEqual(['b:2', 'c:2', 'c:3']);
  });

  it('gives every subtask its own function instance with keyed state', async () => {
    class Counter extends KeyedProcessFunction<number, number, [number, number]> {
      private count!: ValueState<number>;
      override open(): void {
        this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
      }
      processElement(_v: number, ctx: KeyedProcessContext<number>, out: Collector<[number, number]>): void {
        const n = (this.count.value() ?? 0) + 1;
        this.count.update(n);
        out.collect([ctx.getCurrentKey(), n]);
      }
    }
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 2 });
    env.fromSequence(1, 40).keyBy((x) => x % 4).process(new Counter());
    const out = await env.executeAndCollect<[number, number]>();
    const last = new Map<number, number>();
    for (const [k, n] of out) last.set(k, Math.max(last.get(k) ?? 0, n));
    expect([...last.entries()].sort((a, b) => a[0] - b[0])).toEqual([[0, 10], [1, 10], [2, 10], [3, 10]]);
  });
});
