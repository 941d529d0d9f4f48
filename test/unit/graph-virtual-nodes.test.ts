import { describe, expect, it } from 'vitest';
import { buildJob, defineJob, type JobBuilder } from '../../src/api/index.js';
import { StreamGraph } from '../../src/graph/stream-graph.js';

const graphOf = async (fn: JobBuilder) => (await buildJob(defineJob(fn), [], { defaultParallelism: 2 })).jobGraph;

describe('virtual nodes', () => {
  it('a union of three streams becomes three edges into one operator', async () => {
    const g = await graphOf((env) => {
      const a = env.fromSequence(1, 2);
      const b = env.fromSequence(3, 4);
      const c = env.fromElements(5, 6);
      a.union(b, c).map((x) => x).print();
    });
    const target = g.vertices.find((v) => v.operators[0].kind === 'map')!;
    expect(target.inputs.map((e) => e.partitioner)).toEqual(['forward', 'forward', 'rebalance']);
    expect(target.inputs.map((e) => e.targetOperatorIndex)).toEqual([0, 0, 0]);
    expect(new Set(target.inputs.map((e) => e.sourceVertexId)).size).toBe(3);
  });

  it('keyBy then union keeps the hash partitioner on the keyed input only', async () => {
    const g = await graphOf((env) => {
      const a = env.fromSequence(1, 2);
      const b = env.fromSequence(3, 4);
      a.keyBy((x) => x).union(b.rebalance()).map((x) => x).print();
    });
    const target = g.vertices.find((v) => v.operators[0].kind === 'map')!;
    expect(target.inputs.map((e) => e.partitioner)).toEqual(['hash', 'rebalance']);
  });

  it('the partitioner closest to the consumer wins', async () => {
    const g = await graphOf((env) => {
      env.fromSequence(1, 2).shuffle().rescale().map((x) => x).print();
    });
    expect(g.vertices[1].inputs[0].partitioner).toBe('rescale');
  });

  it('partitionCustom records its partitioner and key selector on the edge', async () => {
    const partitioner = (k: number, n: number) => k % n;
    const key = (x: number) => x;
    const job = await buildJob(
      defineJob((env) => void env.fromSequence(1, 9).partitionCustom(partitioner, key).global().map((x) => x).print()),
      [],
      { defaultParallelism: 2 },
    );
    const edge = job.jobGraph.vertices[1].inputs[0];
    // global() is closer to the map, so it decides the partitioning.
    expect(edge.partitioner).toBe('global');
    const custom = await buildJob(
      defineJob((env) => void env.fromSequence(1, 9).partitionCustom(partitioner, key).map((x) => x).print()),
      [],
      { defaultParallelism: 2 },
    );
    const customEdge = custom.jobGraph.vertices[1].inputs[0];
    expect(customEdge.partitioner).toBe('custom');
    expect(custom.functions.edge(customEdge.streamEdgeId)).toEqual({ keySelector: key, partitioner });
  });

  it('operators on a keyed stream are keyed and carry the key selector', async () => {
    const key = (x: number) => x % 2;
    const job = await buildJob(
      defineJob((env) => {
        const k = env.fromSequence(1, 9).keyBy(key);
        k.map((x) => x).print();
        k.filter(() => true).print();
        k.maxBy('value').print();
      }),
      [],
    );
    const ops = job.jobGraph.vertices.flatMap((v) => v.operators).filter((o) => o.kind !== 'source' && o.kind !== 'sink');
    expect(ops.map((o) => [o.kind, o.keyed])).toEqual([
      ['map', true],
      ['filter', true],
      ['keyedAggregation', true],
    ]);
    expect(ops[2].settings).toEqual({ aggregation: 'maxBy', field: 'value' });
    for (const o of ops) expect(job.functions.node(o.nodeId).keySelectors).toEqual([key]);
  });

  it('StreamGraph resolves nested virtual nodes directly', () => {
    const g = new StreamGraph();
    const src = g.addNode({ kind: 'source', name: 'src' });
    const side = g.addSideOutput(src.id, 'tag');
    const part = g.addPartition(side, 'broadcast');
    const union = g.addUnion([part, src.id]);
    const sink = g.addNode({ kind: 'sink', name: 'sink' }, [union]);
    expect(sink.inEdges.map((e) => [e.sourceId, e.partitioner, e.sideOutputTag])).toEqual([
      [src.id, 'broadcast', 'tag'],
      [src.id, undefined, undefined],
    ]);
    expect(new Set(sink.inEdges.map((e) => e.id)).size).toBe(2);
    expect(g.realInputsOf(union).map((n) => n.id)).toEqual([src.id, src.id]);
    expect(g.isVirtual(union)).toBe(true);
    expect(() => g.addSideOutput(999, 'x')).toThrow(/not part of this graph/);
  });
});
