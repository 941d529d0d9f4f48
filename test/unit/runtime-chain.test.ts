import { describe, expect, it } from 'vitest';
import { KeyedProcessFunction, ProcessFunction, type Collector, type KeyedProcessContext, type OnTimerContext, type ProcessContext } from '../../src/common/functions.js';
import { OutputTag } from '../../src/common/output-tag.js';
import { ValueStateDescriptor } from '../../src/common/state-descriptors.js';
import { UserCodeError } from '../../src/core/errors.js';
import { CollectionSource } from '../../src/connectors/collection-source.js';
import { createOperatorChain, type OperatorChain } from '../../src/runtime/operator-chain.js';
import { MAX_WATERMARK, NO_TIMESTAMP } from '../../src/common/stream-element.js';
import { builtJob, linear, op, vertex, type TestOperator } from './runtime-test-jobs.js';

const clock = { now: 1000, wakeUps: [] as number[] };
const pts = { now: () => clock.now, requestWakeUp: (ts: number) => void clock.wakeUps.push(ts) };

function chainOf(ops: TestOperator[]): OperatorChain {
  const v = vertex('v', ops);
  return createOperatorChain({ job: builtJob([v], ops), vertex: v, jobId: 'j', subtaskIndex: 0, attemptNumber: 0, partitions: [], processingTimeService: pts });
}

/** Runs a source-headed chain to its end, as a task does. */
async function runToEnd(chain: OperatorChain): Promise<void> {
  await chain.open();
  while (chain.source!.pollNext(2) !== 'END_OF_INPUT');
  chain.source!.endInput();
  await chain.finish();
  expect(await chain.close()).toBeUndefined();
}

describe('operator chain', () => {
  it('wires map, filter, flatMap and a ProcessFunction with a side output', async () => {
    const out: unknown[] = [];
    const side: unknown[] = [];
    const odd = new OutputTag<number>('odd');
    class Splitter extends ProcessFunction<number, number> {
      opened = false;
      override open() {
        this.opened = this.getRuntimeContext().subtaskIndex === 0;
      }
      processElement(v: number, ctx: ProcessContext, o: Collector<number>) {
        if (v % 2) ctx.output(odd, v);
        else o.collect(v);
      }
    }
    const splitter = new Splitter();
    const ops = [
      op('source', 'Source', new CollectionSource(['1 2 3', '4 x 5', '6'])),
      op('flatMap', 'Split', (s: string, o: Collector<string>) => s.split(' ').forEach((w) => o.collect(w))),
      op('filter', 'Numbers', { filter: (w: string) => /^\d+$/.test(w) }),
      op('map', 'Parse', (w: string) => Number(w)),
      op('process', 'Odd/Even', splitter),
      op('sink', 'Even sink', (v: unknown) => out.push(v)),
      op('sink', 'Odd sink', { invoke: (v: unknown) => side.push(v) }),
    ];
    linear(ops.slice(0, 6));
    ops[4]!.descriptor.chainedOutputs.push({ targetOperatorIndex: 6, targetInput: 0, sideOutputTag: 'odd' });
    await runToEnd(chainOf(ops));
    expect(splitter.opened).toBe(true);
    expect(out).toEqual([2, 4, 6]);
    expect(side).toEqual([1, 3, 5]);
  });

  it('emits running reduce and Flink-style aggregations per key', async () => {
    const rows: [string, number, string][] = [['a', 3, 'first'], ['b', 1, 'b1'], ['a', 1, 'second'], ['a', 5, 'third']];
    const results: Record<string, unknown[]> = {};
    for (const aggregation of ['sum', 'min', 'max', 'minBy', 'maxBy']) {
      const got: unknown[] = [];
      const ops = linear([
        op('source', 'Source', new CollectionSource(rows)),
        op('keyedAggregation', aggregation, undefined, { key: (r: [string]) => r[0], settings: { aggregation, field: 1 } }),
        op('sink', 'Sink', (v: unknown) => got.push(v)),
      ]);
      await runToEnd(chainOf(ops));
      results[aggregation] = got;
    }
    expect(results['sum']).toEqual([['a', 3, 'first'], ['b', 1, 'b1'], ['a', 4, 'first'], ['a', 9, 'first']]);
    expect(results['min']).toEqual([['a', 3, 'first'], ['b', 1, 'b1'], ['a', 1, 'first'], ['a', 1, 'first']]);
    expect(results['max']).toEqual([['a', 3, 'first'], ['b', 1, 'b1'], ['a', 3, 'first'], ['a', 5, 'first']]);
    expect(results['minBy']).toEqual([['a', 3, 'first'], ['b', 1, 'b1'], ['a', 1, 'second'], ['a', 1, 'second']]);
    expect(results['maxBy']).toEqual([['a', 3, 'first'], ['b', 1, 'b1'], ['a', 3, 'first'], ['a', 5, 'third']]);
    expect(rows[0]).toEqual(['a', 3, 'first']);

    const reduced: unknown[] = [];
    const ops = linear([
      op('source', 'Source', new CollectionSource([{ k: 'x', n: 1 }, { k: 'y', n: 2 }, { k: 'x', n: 3 }])),
      op('keyedReduce', 'Reduce', (a: { k: string; n: number }, b: { n: number }) => ({ k: a.k, n: a.n + b.n }), { key: (r: { k: string }) => r.k }),
      op('sink', 'Sink', (v: unknown) => reduced.push(v)),
    ]);
    await runToEnd(chainOf(ops));
    expect(reduced).toEqual([{ k: 'x', n: 1 }, { k: 'y', n: 2 }, { k: 'x', n: 4 }]);
  });

  it('fires event-time timers in timestamp order when the watermark passes, one per key and timestamp', async () => {
    const fired: string[] = [];
    class Timers extends KeyedProcessFunction<string, [string, number], string> {
      count = new ValueStateDescriptor<number>('count', 0);
      processElement(v: [string, number], ctx: KeyedProcessContext<string>, out: Collector<string>) {
        const s = this.getRuntimeContext().getState(this.count);
        s.update(s.value()! + 1);
        ctx.timerService().registerEventTimeTimer(v[1]);
        ctx.timerService().registerEventTimeTimer(v[1]);
        if (v[1] === 99) ctx.timerService().deleteEventTimeTimer(99);
        out.collect(`in ${ctx.getCurrentKey()} ${ctx.timestamp()}`);
      }
      override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>) {
        out.collect(`timer ${ctx.getCurrentKey()}@${ts} count=${this.getRuntimeContext().getState(this.count).value()} ${ctx.timeDomain()}`);
      }
    }
    const timestamps: number[] = [];
    const ops = linear([
      op('keyedProcess', 'Timers', new Timers(), { key: (v: [string]) => v[0] }),
      op('sink', 'Sink', (v: string, ctx: { timestamp(): number | undefined }) => {
        fired.push(v);
        timestamps.push(ctx.timestamp() ?? -1);
      }),
    ]);
    const chain = chainOf(ops);
    await chain.open();
    const head = chain.operators[0]!;
    head.processElement(['a', 30], 5, 0);
    head.processElement(['b', 10], NO_TIMESTAMP, 0);
    head.processElement(['a', 20], 6, 0);
    head.processElement(['b', 99], 7, 0);
    head.processWatermark(25, 0);
    head.processWatermark(MAX_WATERMARK, 0);
    expect(fired).toEqual([
      'in a 5',
      'in b undefined',
      'in a 6',
      'in b 7',
      'timer b@10 count=2 EVENT_TIME',
      'timer a@20 count=2 EVENT_TIME',
      'timer a@30 count=2 EVENT_TIME',
    ]);
    expect(timestamps.slice(4)).toEqual([10, 20, 30]);
    await chain.close();
  });

  it('fires processing-time timers only when the task asks, with the key set', async () => {
    const fired: string[] = [];
    const fn = {
      processElement(v: string, ctx: KeyedProcessContext<string>) {
        ctx.timerService().registerProcessingTimeTimer(clock.now + 50);
      },
      onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>) {
        out.collect(`${ctx.getCurrentKey()}@${ts} ${ctx.timeDomain()}`);
      },
    };
    const ops = linear([op('keyedProcess', 'P', fn, { key: (v: string) => v }), op('sink', 'Sink', (v: string) => fired.push(v))]);
    const chain = chainOf(ops);
    await chain.open();
    clock.wakeUps = [];
    chain.operators[0]!.processElement('k1', NO_TIMESTAMP, 0);
    clock.now += 10;
    chain.operators[0]!.processElement('k2', NO_TIMESTAMP, 0);
    expect(clock.wakeUps).toEqual([1050, 1060]);
    expect(chain.nextProcessingTimer()).toBe(1050);
    chain.fireProcessingTimers(1055);
    expect(fired).toEqual(['k1@1050 PROCESSING_TIME']);
    chain.fireProcessingTimers(2000);
    expect(fired).toEqual(['k1@1050 PROCESSING_TIME', 'k2@1060 PROCESSING_TIME']);
    await chain.close();
  });

  it('turns exceptions of user code into a UserCodeError naming the operator', async () => {
    const ops = linear([
      op('source', 'Source', new CollectionSource([1, 2])),
      op('map', 'Boom', (v: number) => {
        if (v === 2) throw new Error('bad record');
        return v;
      }),
      op('sink', 'Sink', () => undefined),
    ]);
    const chain = chainOf(ops);
    await chain.open();
    let error: unknown;
    try {
      chain.source!.pollNext(10);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserCodeError);
    expect((error as UserCodeError).operatorName).toBe('Boom');
    expect((error as Error).message).toBe('Boom failed: bad record');
    await chain.close();
  });
});
