/** `env.getExecutionPlan()`: Flink's execution-plan JSON of the operators before chaining. */
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, type SourceFunction } from '../../src/index.js';

describe('getExecutionPlan', () => {
  it("lists every operator with Flink's pact, parallelism and the ship strategy of each input", () => {
    const env = StreamExecutionEnvironment.createLocalEnvironment(4);
    const rides: SourceFunction<number> = { run() {}, cancel() {} };
    env
      .addSource(rides, 'rides')
      .map((x: number) => x)
      .keyBy((x: number) => x % 2)
      .reduce((a: number, b: number) => a + b)
      .print();
    const plan = JSON.parse(env.getExecutionPlan()) as { nodes: Record<string, unknown>[] };
    const ids = plan.nodes.map((n) => n.id as number);
    expect(plan.nodes).toEqual([
      { id: ids[0], type: 'Source: rides', pact: 'Data Source', contents: 'Source: rides', parallelism: 1 },
      { id: ids[1], type: 'Map', pact: 'Operator', contents: 'Map', parallelism: 4, predecessors: [{ id: ids[0], ship_strategy: 'REBALANCE', side: 'second' }] },
      {
        id: ids[2],
        type: 'Keyed Reduce',
        pact: 'Operator',
        contents: 'Keyed Reduce',
        parallelism: 4,
        predecessors: [{ id: ids[1], ship_strategy: 'HASH', side: 'second' }],
      },
      {
        id: ids[3],
        type: 'Sink: Print to Std. Out',
        pact: 'Data Sink',
        contents: 'Sink: Print to Std. Out',
        parallelism: 4,
        predecessors: [{ id: ids[2], ship_strategy: 'FORWARD', side: 'second' }],
      },
    ]);
  });
});
