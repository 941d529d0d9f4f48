import { describe, expect, it } from 'vitest';
import { buildJob, cloneForSubtask, defineJob, type JobBuilder } from '../../src/api/build-job.js';
import { operatorIdForUid } from '../../src/graph/operator-ids.js';
import { isId } from '../../src/core/ids.js';

const pipeline = (withUid: boolean): JobBuilder =>
  defineJob((env) => {
    const words = env.fromElements('a b', 'c').flatMap((line: string, out) => line.split(' ').forEach((w) => out.collect(w)));
    const counted = words.map((w) => [w, 1] as [string, number]).keyBy((t) => t[0]).sum(1);
    if (withUid) counted.uid('counts');
    counted.print();
  });

describe('operator ids and fingerprints', () => {
  it('are stable across runs of the same builder', async () => {
    const a = await buildJob(pipeline(false), []);
    const b = await buildJob(pipeline(false), []);
    expect(a.jobGraph).toEqual(b.jobGraph);
    expect(a.jobGraph.fingerprint).toBe(b.jobGraph.fingerprint);
    const ids = a.jobGraph.vertices.flatMap((v) => v.operators.map((o) => o.operatorId));
    expect(ids.every(isId)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a uid sets the operator id to the uid hash, and only that id changes', async () => {
    const plain = (await buildJob(pipeline(false), [])).jobGraph;
    const withUid = (await buildJob(pipeline(true), [])).jobGraph;
    const opsOf = (g: typeof plain) => g.vertices.flatMap((v) => v.operators);
    const agg = opsOf(withUid).find((o) => o.kind === 'keyedAggregation')!;
    expect(agg.operatorId).toBe(operatorIdForUid('counts'));
    expect(agg.uid).toBe('counts');
    const before = opsOf(plain).map((o) => o.operatorId);
    const after = opsOf(withUid).map((o) => o.operatorId);
    // Upstream operators keep their ids; the aggregation and its downstream sink change.
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    expect(after[3]).not.toBe(before[3]);
    expect(withUid.fingerprint).not.toBe(plain.fingerprint);
  });

  it('siblings get distinct, position-based ids', async () => {
    const g = (
      await buildJob(
        defineJob((env) => {
          const s = env.fromSequence(1, 2);
          s.map((x) => x).print();
          s.map((x) => x).print();
        }),
        [],
      )
    ).jobGraph;
    const maps = g.vertices.flatMap((v) => v.operators).filter((o) => o.kind === 'map');
    expect(maps[0].operatorId).not.toBe(maps[1].operatorId);
  });

  it('a builder using Math.random in its topology gets different fingerprints', async () => {
    const random = defineJob((env) => {
      let s = env.fromSequence(1, 10);
      const n = 1 + Math.floor(Math.random() * 1000);
      for (let i = 0; i < n; i++) s = s.map((x) => x);
      s.print();
    });
    const prints = new Set<string>();
    for (let i = 0; i < 4; i++) prints.add((await buildJob(random, [])).jobGraph.fingerprint);
    expect(prints.size).toBeGreaterThan(1);
  });

  it('the job name is not part of the fingerprint', async () => {
    const a = await buildJob(pipeline(false), [], { jobName: 'one' });
    const b = await buildJob(pipeline(false), [], { jobName: 'two' });
    expect(a.jobGraph.jobName).toBe('one');
    expect(a.jobGraph.fingerprint).toBe(b.jobGraph.fingerprint);
  });

  it('binds functions by node and edge id; cloneForSubtask gives fresh objects', async () => {
    class Mapper {
      seen = 0;
      map(x: number): number {
        this.seen++;
        return x;
      }
    }
    const lambda = (x: number) => x % 3;
    const job = await buildJob(
      defineJob((env) => {
        env.fromSequence(1, 10).map(new Mapper()).keyBy(lambda).reduce((a, b) => a + b).print();
      }),
      [],
    );
    const mapOp = job.jobGraph.vertices.flatMap((v) => v.operators).find((o) => o.kind === 'map')!;
    const reduceVertex = job.jobGraph.vertices.find((v) => v.operators[0].kind === 'keyedReduce')!;
    const original = job.functions.node(mapOp.nodeId).userFunction as Mapper;
    expect(original).toBeInstanceOf(Mapper);
    expect(job.functions.node(reduceVertex.operators[0].nodeId).keySelectors).toEqual([lambda]);
    expect(job.functions.edge(reduceVertex.inputs[0].streamEdgeId).keySelector).toBe(lambda);

    const a = cloneForSubtask(job);
    const b = cloneForSubtask(job);
    const ma = a.functions.node(mapOp.nodeId).userFunction as Mapper;
    const mb = b.functions.node(mapOp.nodeId).userFunction as Mapper;
    expect(ma).toBeInstanceOf(Mapper);
    expect(ma).not.toBe(mb);
    expect(ma).not.toBe(original);
    expect(a.functions.node(mapOp.nodeId).userFunction).toBe(ma);
    ma.map(1);
    expect([ma.seen, mb.seen, original.seen]).toEqual([1, 0, 0]);
    expect(a.functions.edge(reduceVertex.inputs[0].streamEdgeId).keySelector).toBe(lambda);
    expect(() => a.functions.node(9999)).toThrow(/deterministic/);
    expect(() => job.functions.edge('nope')).toThrow(/deterministic/);
  });
});
