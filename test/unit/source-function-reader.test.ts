/**
 * The reader behind `env.addSource(fn)`, driven as the task drives it: a bounded buffer with
 * backpressure through `await ctx.collect(x)`, the one-line failure of a run that never awaits,
 * watermarks and idleness in order with the records, the flush before a barrier, cancel on close.
 */
import { describe, expect, it } from 'vitest';
import { SourceFunctionSource, type SourceFunctionReader } from '../../src/connectors/source-function-source.js';
import { Watermark, type SourceContext, type SourceFunction } from '../../src/index.js';
import type { ReaderOutput } from '../../src/common/source.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What an output saw, in order. */
function recordingOutput(): { out: ReaderOutput<unknown>; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    out: {
      collect: (v, ts) => void seen.push(ts === undefined ? `r${String(v)}` : `r${String(v)}@${ts}`),
      emitWatermark: (ts) => void seen.push(`w${ts}`),
      markIdle: () => void seen.push('idle'),
      markActive: () => void seen.push('active'),
    },
  };
}

function readerOf<T>(fn: SourceFunction<T>, bufferCapacity?: number): SourceFunctionReader<T> {
  const source = new SourceFunctionSource<T>(fn, { bufferCapacity });
  return source.createReader({ subtaskIndex: 0, parallelism: 1, sourceName: 'Source: gen', userFunction: fn }) as SourceFunctionReader<T>;
}

describe('SourceFunction reader', () => {
  it('an awaiting run never holds more than the buffer capacity, however slowly the task drains', async () => {
    const capacity = 16;
    let collected = 0;
    let awaitedFull = 0;
    const fn: SourceFunction<number> = {
      async run(ctx: SourceContext<number>) {
        for (let i = 0; i < 1_000; i++) {
          const wait = ctx.collect(i);
          collected++;
          if (wait) {
            awaitedFull++;
            await wait;
          }
        }
      },
      cancel() {},
    };
    const reader = readerOf(fn, capacity);
    reader.start();
    const got: unknown[] = [];
    let maxBuffered = reader.buffered;
    for (;;) {
      // A slow task: 3 records per turn, with a timer turn in between.
      const status = reader.pollNext({ collect: (v) => void got.push(v) }, 3);
      if (status === 'END_OF_INPUT') break;
      if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
      else await sleep(0);
      maxBuffered = Math.max(maxBuffered, reader.buffered);
    }
    expect(got).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(collected).toBe(1_000);
    expect(maxBuffered).toBeLessThanOrEqual(capacity);
    expect(awaitedFull).toBeGreaterThan(1_000 / capacity - 1);
  });

  it('a run that collects without ever awaiting fails with one line saying to await ctx.collect', () => {
    const fn: SourceFunction<number> = {
      run(ctx) {
        for (let i = 0; ; i++) void ctx.collect(i);
      },
      cancel() {},
    };
    const reader = readerOf(fn, 8);
    reader.start();
    expect(reader.buffered).toBe(8 * 32);
    let error: Error | undefined;
    try {
      reader.pollNext({ collect: () => {} }, 10);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toBe(
      'run() collected 256 elements without awaiting the task (buffer capacity 8); write `await ctx.collect(x)` so it waits while the buffer is full',
    );
    expect(error?.message).not.toContain('\n');
  });

  it('a run that rejects fails the next poll with its error; one that returns ends the input after its records', async () => {
    const failing = readerOf<number>({
      async run(ctx) {
        await ctx.collect(1);
        await sleep(1);
        throw new Error('no more taxis');
      },
      cancel() {},
    });
    failing.start();
    const got: unknown[] = [];
    const drain = async (): Promise<void> => {
      for (;;) if (failing.pollNext({ collect: (v) => void got.push(v) }, 10) === 'NOTHING_AVAILABLE') await failing.isAvailable();
    };
    await expect(drain()).rejects.toThrow('no more taxis');
    expect(got).toEqual([1]);

    const rejectsWithString = readerOf<number>({
      run: () => Promise.reject('plain string'),
      cancel() {},
    });
    rejectsWithString.start();
    await rejectsWithString.isAvailable();
    expect(() => rejectsWithString.pollNext({ collect: () => {} }, 10)).toThrow('run() rejected with plain string');

    const bounded = readerOf<string>({
      run(ctx) {
        for (const w of ['a', 'b', 'c']) void ctx.collect(w);
      },
      cancel() {},
    });
    bounded.start();
    const { out, seen } = recordingOutput();
    expect(bounded.pollNext(out, 2)).toBe('MORE_AVAILABLE');
    expect(bounded.pollNext(out, 2)).toBe('END_OF_INPUT');
    expect(seen).toEqual(['ra', 'rb', 'rc']);
  });

  it('timestamps, watermarks and idleness go out in the order they were emitted', async () => {
    const reader = readerOf<string>({
      run(ctx) {
        void ctx.collectWithTimestamp('a', 10);
        ctx.emitWatermark(new Watermark(9));
        ctx.markAsTemporarilyIdle();
        ctx.markAsTemporarilyIdle();
        ctx.emitWatermark(20);
        void ctx.collect('b');
        ctx.markAsTemporarilyIdle();
        void ctx.collectWithTimestamp('c', 30);
      },
      cancel() {},
    });
    reader.start();
    const { out, seen } = recordingOutput();
    expect(reader.pollNext(out, 100)).toBe('END_OF_INPUT');
    expect(seen).toEqual(['ra@10', 'w9', 'idle', 'active', 'w20', 'rb', 'idle', 'active', 'rc@30']);
  });

  it('prepareSnapshotPreBarrier emits everything buffered; close cancels a running run and wakes it', async () => {
    let canceled = 0;
    let returned = false;
    let running = true;
    const reader = readerOf<number>(
      {
        async run(ctx) {
          let i = 0;
          while (running) await ctx.collect(i++);
          returned = true;
        },
        cancel() {
          canceled++;
          running = false;
        },
      },
      100,
    );
    reader.start();
    await sleep(5);
    expect(reader.buffered).toBe(100);
    const { out, seen } = recordingOutput();
    reader.prepareSnapshotPreBarrier(out);
    expect(seen).toHaveLength(100);
    expect(reader.buffered).toBe(0);
    await sleep(5);
    expect(reader.buffered).toBe(100);
    reader.close();
    expect(canceled).toBe(1);
    await sleep(5);
    expect(returned).toBe(true);
    expect(reader.buffered).toBe(0);
    reader.close();
    expect(canceled).toBe(1);
  });
});
