/**
 * Keyed state in a sink after keyBy (Flink allows it: a keyed sink function sees the state of
 * the current record's key), on a local mini-cluster at parallelism 2.
 */
import { describe, expect, it } from 'vitest';
import { RichSinkFunction, StreamExecutionEnvironment, ValueStateDescriptor, type ValueState } from '../../src/index.js';

describe('keyed state in a sink function', () => {
  it('keyBy(...).addSink(RichSinkFunction) reads and updates the state of each record\'s key', async () => {
    const seen: string[] = [];
    class CountingSink extends RichSinkFunction<[string, number]> {
      private count!: ValueState<number>;
      override open(): void {
        this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count'));
      }
      invoke(value: [string, number]): void {
        const n = (this.count.value() ?? 0) + 1;
        this.count.update(n);
        seen.push(`${value[0]}:${n}`);
      }
    }
    const env = StreamExecutionEnvironment.createLocalEnvironment(2);
    const words = ['a', 'b', 'a', 'c', 'a', 'b'];
    env
      .fromCollection(words.map((w, i): [string, number] => [w, i]))
      .keyBy((t) => t[0])
      .addSink(new CountingSink());
    await env.execute('keyed sink');
    expect(seen.sort()).toEqual(['a:1', 'a:2', 'a:3', 'b:1', 'b:2', 'c:1']);
  });
});
