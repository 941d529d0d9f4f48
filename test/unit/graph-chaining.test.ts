import { describe, expect, it } from 'vitest';
import { buildJob, defineJob, type JobBuilder } from '../../src/api/build-job.js';
import { OutputTag } from '../../src/common/output-tag.js';
import { ProcessFunction, type Collector, type ProcessContext } from '../../src/common/functions.js';
import type { JobGraph } from '../../src/common/job-graph.js';

async function graphOf(fn: JobBuilder, defaultParallelism = 2): Promise<JobGraph> {
  return (await buildJob(defineJob(fn), [], { defaultParallelism })).jobGraph;
}

const names = (g: JobGraph) => g.vertices.map((v) => v.name);

describe('operator chaining (Flink rules)', () => {
  it('chains forward edges of equal parallelism into one vertex', async () => {
    const g = await graphOf((env) => {
      env.fromSequence(1, 10).map((x) => x + 1).filter((x) => x > 2).print();
    });
    expect(names(g)).toEqual(['Source: Sequence Source -> Map -> Filter -> Sink: Print to Std. Out']);
    const ops = g.vertices[0].operators;
    expect(ops.map((o) => o.kind)).toEqual(['source', 'map', 'filter', 'sink']);
    expect(ops[0].chainedOutputs).toEqual([{ targetOperatorIndex: 1, targetInput: 0 }]);
    expect(ops[3].chainedOutputs).toEqual([]);
    expect(g.vertices[0].parallelism).toBe(2);
  });

  it('does not chain across different parallelism (default partitioner becomes rebalance)', async () => {
    const g = await graphOf((env) => {
      env.fromElements(1, 2, 3).map((x) => x).print();
    });
    // fromElements is a non-parallel source: parallelism 1, the map runs at 2.
    expect(names(g)).toEqual(['Source: Collection Source', 'Map -> Sink: Print to Std. Out']);
    expect(g.vertices[0].parallelism).toBe(1);
    expect(g.vertices[0].outputs[0].partitioner).toBe('rebalance');
    expect(g.vertices[1].inputs[0]).toBe(g.vertices[0].outputs[0]);
  });

  it('does not chain non-forward partitioners (rebalance, keyBy, broadcast)', async () => {
    const g = await graphOf((env) => {
      const s = env.fromSequence(1, 10);
      s.rebalance().map((x) => x).print();
      s.keyBy((x) => x % 2).sum().print();
      s.broadcast().filter(() => true).print();
    });
    expect(names(g)).toEqual([
      'Source: Sequence Source',
      'Map -> Sink: Print to Std. Out',
      'Keyed Aggregation -> Sink: Print to Std. Out',
      'Filter -> Sink: Print to Std. Out',
    ]);
    expect(g.vertices[0].outputs.map((e) => e.partitioner)).toEqual(['rebalance', 'hash', 'broadcast']);
    const keyed = g.vertices[2].operators[0];
    expect(keyed.keyed).toBe(true);
    expect(keyed.settings).toEqual({ aggregation: 'sum', field: null });
    expect(g.vertices[2].operators[1].keyed).toBe(false);
    expect(g.vertices[0].operators[0].networkOutputs).toEqual([0, 1, 2]);
  });

  it('startNewChain makes a head; disableChaining isolates the operator', async () => {
    const g = await graphOf((env) => {
      env
        .fromSequence(1, 10)
        .map((x) => x)
        .map((x) => x)
        .startNewChain()
        .filter(() => true)
        .disableChaining()
        .map((x) => x)
        .print();
    });
    expect(names(g)).toEqual(['Source: Sequence Source -> Map', 'Map', 'Filter', 'Map -> Sink: Print to Std. Out']);
    expect(g.vertices.every((v, i) => i === 0 || v.inputs[0].partitioner === 'forward')).toBe(true);
  });

  it('does not chain an operator with two inputs (union)', async () => {
    const g = await graphOf((env) => {
      const a = env.fromSequence(1, 5);
      const b = env.fromSequence(6, 10);
      a.union(b).map((x) => x).print();
    });
    expect(names(g)).toEqual(['Source: Sequence Source', 'Source: Sequence Source', 'Map -> Sink: Print to Std. Out']);
    expect(g.vertices[2].inputs.map((e) => e.partitioner)).toEqual(['forward', 'forward']);
    expect(g.vertices[2].inputs.map((e) => e.sourceVertexId)).toEqual([g.vertices[0].id, g.vertices[1].id]);
  });

  it('a source following a source is never chained to it; sources are heads', async () => {
    const g = await graphOf((env) => {
      env.fromSequence(1, 5).print().startNewChain();
    });
    expect(names(g)).toEqual(['Source: Sequence Source', 'Sink: Print to Std. Out']);
  });

  it('chains side outputs and marks them with their tag', async () => {
    const late = new OutputTag<string>('late');
    class Splitter extends ProcessFunction<number, number> {
      processElement(v: number, ctx: ProcessContext, out: Collector<number>): void {
        if (v % 2) ctx.output(late, `odd ${v}`);
        else out.collect(v);
      }
    }
    const g = await graphOf((env) => {
      const main = env.fromSequence(1, 10).process(new Splitter());
      main.getSideOutput(late).map((s) => s.length).print();
      main.print();
      main.getSideOutput(late).rebalance().map((s) => s).setParallelism(1).print().setParallelism(1);
    });
    expect(names(g)).toEqual(['Source: Sequence Source -> Process -> Map -> Sink: Print to Std. Out -> Sink: Print to Std. Out', 'Map -> Sink: Print to Std. Out']);
    const process = g.vertices[0].operators[1];
    expect(process.chainedOutputs).toEqual([
      { targetOperatorIndex: 2, targetInput: 0, sideOutputTag: 'late' },
      { targetOperatorIndex: 4, targetInput: 0 },
    ]);
    expect(process.networkOutputs).toEqual([0]);
    expect(g.vertices[0].outputs[0]).toMatchObject({ sideOutputTag: 'late', partitioner: 'rebalance', sourceOperatorIndex: 1 });
  });

  it('resolves a side output followed by a map through the virtual node', async () => {
    const tag = new OutputTag<number>('evens');
    const g = await graphOf((env) => {
      const p = env.fromSequence(1, 4).process({
        processElement(v: number, ctx: ProcessContext, out: Collector<number>) {
          out.collect(v);
          ctx.output(tag, v);
        },
      } as unknown as ProcessFunction<number, number>);
      p.getSideOutput(tag).map((x) => x * 2).setParallelism(3).print().setParallelism(3);
      p.print();
    });
    const [head, side] = g.vertices;
    expect(side.name).toBe('Map -> Sink: Print to Std. Out');
    expect(side.parallelism).toBe(3);
    expect(side.inputs).toHaveLength(1);
    expect(side.inputs[0]).toMatchObject({ partitioner: 'rebalance', sideOutputTag: 'evens', sourceVertexId: head.id });
  });
});
