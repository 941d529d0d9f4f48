/**
 * Watermarks: generation in sources (per split) and in assignTimestampsAndWatermarks, periodic
 * emission through the processing-time service, idleness, and the valve across channels.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WatermarkStrategy } from '../../src/common/watermark-strategy.js';
import { CollectionSource } from '../../src/connectors/collection-source.js';
import { FileSource } from '../../src/connectors/file-source.js';
import { createOperatorChain, type OperatorChain } from '../../src/runtime/operator-chain.js';
import type { JobVertex } from '../../src/common/job-graph.js';
import { MAX_WATERMARK, NO_TIMESTAMP } from '../../src/common/stream-element.js';
import type { StreamOperator } from '../../src/runtime/stream-operator.js';
import { WatermarkValve } from '../../src/runtime/watermark-valve.js';
import { builtJob, linear, op, vertex, type TestOperator } from './runtime-test-jobs.js';

/** A processing-time service with a hand-driven clock, as the task offers it. */
function manualClock() {
  const clock = { now: 0, wakeUps: [] as number[] };
  return { clock, service: { now: () => clock.now, requestWakeUp: (ts: number) => void clock.wakeUps.push(ts) } };
}

/** A sink operator recording records, watermarks and watermark statuses in order. */
function recorder(events: string[]): StreamOperator {
  return {
    name: 'Recorder',
    open: () => undefined,
    processElement: (v, ts) => void events.push(`${JSON.stringify(v)}@${ts === NO_TIMESTAMP ? '-' : ts}`),
    processWatermark: (ts) => void events.push(`wm ${ts === MAX_WATERMARK ? 'MAX' : ts}`),
    processWatermarkStatus: (idle) => void events.push(idle ? 'idle' : 'active'),
    endInput: () => undefined,
    finish: () => undefined,
    close: () => undefined,
  };
}

function chain(ops: TestOperator[], intervalMs: number, service: { now(): number; requestWakeUp(ts: number): void }): { chain: OperatorChain; v: JobVertex } {
  const v = vertex('v', ops);
  const job = builtJob([v], ops);
  job.jobGraph.settings.autoWatermarkIntervalMs = intervalMs;
  return { v, chain: createOperatorChain({ job, vertex: v, jobId: 'j', subtaskIndex: 0, attemptNumber: 0, partitions: [], processingTimeService: service }) };
}

describe('assignTimestampsAndWatermarks', () => {
  it('assigns timestamps per record, emits bounded-out-of-orderness watermarks every interval from the mailbox, and passes only the final watermark', async () => {
    const events: string[] = [];
    const { clock, service } = manualClock();
    const strategy = WatermarkStrategy.forBoundedOutOfOrderness<{ t: number }>(5).withTimestampAssigner((e) => e.t);
    const ops = linear([op('timestampsAndWatermarks', 'TW', strategy), op('map', 'Id', (x: unknown) => x)]);
    const { chain: c } = chain(ops, 200, service);
    // Record the map's output by replacing its output.
    await c.open();
    const head = c.operators[0]!;
    const tail = c.operators[1]! as unknown as { output: unknown };
    const rec = recorder(events);
    tail.output = { collect: rec.processElement, collectSide: () => undefined, emitWatermark: (ts: number) => rec.processWatermark(ts, 0), emitWatermarkStatus: (i: boolean) => rec.processWatermarkStatus!(i, 0) };
    expect(clock.wakeUps).toEqual([200]);
    head.processElement({ t: 10 }, NO_TIMESTAMP, 0);
    head.processElement({ t: 30 }, 7, 0);
    head.processWatermark(1000, 0); // upstream watermarks are replaced
    head.processElement({ t: 20 }, NO_TIMESTAMP, 0);
    clock.now = 150;
    c.fireProcessingTimers(150); // not due yet: asks again
    expect(clock.wakeUps.at(-1)).toBe(200);
    clock.now = 200;
    c.fireProcessingTimers(200);
    expect(clock.wakeUps.at(-1)).toBe(400);
    head.processElement({ t: 40 }, NO_TIMESTAMP, 0);
    clock.now = 400;
    c.fireProcessingTimers(400);
    head.processWatermark(MAX_WATERMARK, 0);
    expect(events).toEqual(['{"t":10}@10', '{"t":30}@30', '{"t":20}@20', 'wm 24', '{"t":40}@40', 'wm 34', 'wm MAX']);
    expect(await c.close()).toBeUndefined();
  });

  it('marks the output idle after the idle timeout and active again with the next record', async () => {
    const events: string[] = [];
    const { clock, service } = manualClock();
    let now = 0;
    const strategy = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((e) => e).withIdleness(1000);
    // The idleness clock is the generator's; drive it with the same manual time.
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const ops = linear([op('timestampsAndWatermarks', 'TW', strategy), op('sink', 'Sink', () => undefined)]);
      const { chain: c } = chain(ops, 100, service);
      await c.open();
      const tw = c.operators[0]! as unknown as { output: unknown };
      const rec = recorder(events);
      tw.output = { collect: rec.processElement, collectSide: () => undefined, emitWatermark: (ts: number) => rec.processWatermark(ts, 0), emitWatermarkStatus: (i: boolean) => rec.processWatermarkStatus!(i, 0) };
      c.operators[0]!.processElement(5, NO_TIMESTAMP, 0);
      now = clock.now = 100;
      c.fireProcessingTimers(100);
      now = clock.now = 1200;
      c.fireProcessingTimers(1200);
      now = clock.now = 1300;
      c.fireProcessingTimers(1300);
      c.operators[0]!.processElement(50, NO_TIMESTAMP, 0);
      now = clock.now = 1400;
      c.fireProcessingTimers(1400);
      expect(events).toEqual(['5@5', 'wm 4', 'idle', 'active', '50@50', 'wm 49']);
      await c.close();
    } finally {
      Date.now = realNow;
    }
  });
});

describe('source watermarks', () => {
  it('fromSource: the watermark is the minimum over the generators of the splits being read, and MAX at the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-wm-'));
    writeFileSync(join(dir, 'a.txt'), '10\n30\n');
    writeFileSync(join(dir, 'b.txt'), '5\n7\n');
    const events: string[] = [];
    const { service } = manualClock();
    const strategy = WatermarkStrategy.forBoundedOutOfOrderness<string>(0).withTimestampAssigner((line) => Number(line));
    const src = op('source', 'Files', FileSource.forLines(dir));
    src.functions.watermarkStrategy = strategy;
    const ops = linear([src, op('sink', 'Sink', () => undefined)]);
    const { chain: c } = chain(ops, 50, service);
    await c.open();
    const so = c.operators[0]! as unknown as { output: unknown; emitPeriodicWatermark(): void };
    const rec = recorder(events);
    so.output = { collect: rec.processElement, collectSide: () => undefined, emitWatermark: (ts: number) => rec.processWatermark(ts, 0), emitWatermarkStatus: (i: boolean) => rec.processWatermarkStatus!(i, 0) };
    for (let i = 0; i < 200; i++) {
      const status = c.source!.pollNext(1);
      so.emitPeriodicWatermark();
      if (status === 'END_OF_INPUT') break;
      if (status === 'NOTHING_AVAILABLE') await c.source!.isAvailable();
    }
    c.source!.endInput();
    // File a is read first (30 -> watermark 29), then b: its generator starts over, but the
    // source's watermark never goes back; MAX closes the input.
    expect(events.filter((e) => !e.startsWith('wm')).sort()).toEqual(['"10"@10', '"30"@30', '"5"@5', '"7"@7'].sort());
    const wms = events.filter((e) => e.startsWith('wm'));
    expect(wms.at(-1)).toBe('wm MAX');
    expect(wms).toContain('wm 29');
    const numbers = wms.slice(0, -1).map((w) => Number(w.slice(3)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    await c.close();
  });

  it('a source without a strategy keeps its timestamps and only sends the final watermark', async () => {
    const events: string[] = [];
    const { service } = manualClock();
    const ops = linear([op('source', 'Elements', new CollectionSource([1, 2])), op('sink', 'Sink', () => undefined)]);
    const { chain: c } = chain(ops, 50, service);
    await c.open();
    const so = c.operators[0]! as unknown as { output: unknown };
    const rec = recorder(events);
    so.output = { collect: rec.processElement, collectSide: () => undefined, emitWatermark: (ts: number) => rec.processWatermark(ts, 0) };
    while (c.source!.pollNext(10) !== 'END_OF_INPUT');
    c.source!.endInput();
    expect(events).toEqual(['1@-', '2@-', 'wm MAX']);
    await c.close();
  });
});

describe('watermark valve', () => {
  it('an input whose channels are all idle advances to the highest channel watermark and reports idle', () => {
    const v = new WatermarkValve(2);
    expect(v.inputWatermark(0, 10)).toBeUndefined();
    expect(v.inputWatermark(1, 4)).toBe(4);
    expect(v.inputIdle(0, true)).toBeUndefined();
    expect(v.isIdle).toBe(false);
    expect(v.inputIdle(1, true)).toBe(10);
    expect(v.isIdle).toBe(true);
    expect(v.inputWatermark(1, 12)).toBe(12);
    expect(v.isIdle).toBe(false);
    expect(v.channelFinished(0)).toBeUndefined();
    expect(v.channelFinished(1)).toBe(MAX_WATERMARK);
  });
});
