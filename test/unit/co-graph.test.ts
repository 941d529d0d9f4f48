import { describe, expect, it } from 'vitest';
import { CoProcessFunction, MapStateDescriptor, StreamExecutionEnvironment, type Collector } from '../../src/api/index.js';
import { JobBuildError } from '../../src/core/errors.js';

class Nop extends CoProcessFunction<number, number, number> {
  processElement1(v: number, _c: unknown, out: Collector<number>): void {
    out.collect(v);
  }
  processElement2(v: number, _c: unknown, out: Collector<number>): void {
    out.collect(v);
  }
}

describe('two-input nodes in the JobGraph', () => {
  it('a co-process node heads its own vertex, with one edge per input and targetInput 0/1', () => {
    const env = new StreamExecutionEnvironment();
    const s = env.fromSequence(1, 10);
    s.connect(s).process(new Nop()).addSink(() => {});
    const g = env.toBuiltJob('j').jobGraph;
    const co = g.vertices.find((v) => v.operators[0]!.kind === 'coProcess')!;
    expect(co.operators[0]!.numberOfInputs).toBe(2);
    expect(co.inputs.map((e) => [e.partitioner, e.targetOperatorIndex, e.targetInput])).toEqual([
      ['forward', 0, 0],
      ['forward', 0, 1],
    ]);
    // The sink still chains to the co-process operator.
    expect(co.operators.map((o) => o.kind)).toEqual(['coProcess', 'sink']);
  });

  it('keyed connect hashes both inputs; broadcast(...) uses the broadcast partitioner', () => {
    const env = new StreamExecutionEnvironment();
    env.setParallelism(2);
    const a = env.fromSequence(1, 10);
    const rules = env.fromElements('r').broadcast(new MapStateDescriptor<string, string>('rules'));
    a.connect(env.fromSequence(1, 5)).keyBy((x: number) => x, (y: number) => y).process(new Nop()).addSink(() => {});
    a.keyBy((x: number) => x % 3)
      .connect(rules)
      .process({ processElement() {}, processBroadcastElement() {} } as never)
      .addSink(() => {});
    const g = env.toBuiltJob('j').jobGraph;
    const keyedCo = g.vertices.find((v) => v.operators[0]!.kind === 'keyedCoProcess')!;
    expect(keyedCo.operators[0]!.keyed).toBe(true);
    expect(keyedCo.inputs.map((e) => [e.partitioner, e.targetInput])).toEqual([['hash', 0], ['hash', 1]]);
    const bc = g.vertices.find((v) => v.operators[0]!.kind === 'keyedBroadcastProcess')!;
    expect(bc.operators[0]!.settings).toEqual({ broadcastStates: ['rules'] });
    expect(bc.inputs.map((e) => [e.partitioner, e.targetInput])).toEqual([['hash', 0], ['broadcast', 1]]);
  });

  it('rejects bad two-input definitions while the job is built', () => {
    const env = new StreamExecutionEnvironment();
    const s = env.fromSequence(1, 10);
    expect(() => s.connect(s).process({} as never)).toThrow(/process\(\) expects a CoProcessFunction/);
    expect(() => s.broadcast(new MapStateDescriptor('a'), new MapStateDescriptor('a'))).toThrow(/"a" is declared twice/);
    const k = s.keyBy((x: number) => x);
    expect(() => k.intervalJoin(k).between(5, 1)).toThrow(JobBuildError);
    expect(() => k.intervalJoin(s as never)).toThrow(/intervalJoin\(\) expects a KeyedStream/);
    expect(() => s.connect(new StreamExecutionEnvironment().fromSequence(1, 2))).toThrow(/different execution environments/);
  });
});
