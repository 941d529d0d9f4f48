/**
 * Event time over files on a mini-cluster at parallelism 4: a large file (≥ 50 MB) and a small
 * one covering the same hours, read through `fromSource(FileSource…, forBoundedOutOfOrderness)`
 * into keyed tumbling event-time windows. Each file is one split read in order, so no record is
 * late and the window counts equal an independent count of the generated lines. (When the large
 * file was cut into byte ranges, the subtask that read the first range went on to the small file
 * with its watermark already a quarter of the way through the hours, and dropped its records.)
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from '../../src/api/index.js';

const KEYS = 16;
const WINDOW = 10_000;
const SPAN = 1_000_000;
const JITTER = 2_000;
const OUT_OF_ORDERNESS = 5_000;
const PAD = 'x'.repeat(80);

interface Ride {
  k: number;
  ts: number;
}

const dir = mkdtempSync(join(tmpdir(), 'fluss-event-time-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `lines` lines spanning SPAN ms in (jittered) time order; adds each to `counts` per key and window. */
function writeRides(path: string, lines: number, seed: number, counts: Map<string, number>): number {
  let s = seed;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const fd = openSync(path, 'w');
  let bytes = 0;
  let chunk: string[] = [];
  for (let i = 0; i < lines; i++) {
    const k = Math.floor(rnd() * KEYS);
    const ts = Math.max(0, Math.floor((i * SPAN) / lines) + Math.floor((rnd() * 2 - 1) * JITTER));
    const id = `${k}@${ts - (ts % WINDOW)}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    chunk.push(`${k},${ts},${PAD}`);
    if (chunk.length === 10_000 || i === lines - 1) {
      bytes += writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  closeSync(fd);
  return bytes;
}

describe('FileSource with event time on a mini-cluster', () => {
  it('gives exactly the windows an independent count gives, at parallelism 4', async () => {
    const expected = new Map<string, number>();
    const bigBytes = writeRides(join(dir, 'a-big.csv'), 600_000, 7, expected);
    expect(bigBytes).toBeGreaterThanOrEqual(50 * 1024 * 1024);
    writeRides(join(dir, 'b-small.csv'), 20_000, 11, expected);

    const env = StreamExecutionEnvironment.getExecutionEnvironment({ defaultParallelism: 4 });
    const decode = (line: string): Ride => {
      const [k, ts] = line.split(',', 2);
      return { k: Number(k), ts: Number(ts) };
    };
    const windows = env
      .fromSource(
        FileSource.forLines(dir, { decode }),
        WatermarkStrategy.forBoundedOutOfOrderness<Ride>(OUT_OF_ORDERNESS).withTimestampAssigner((r) => r.ts),
        'rides',
      )
      .keyBy((r) => r.k)
      .window(TumblingEventTimeWindows.of(WINDOW))
      .aggregate(
        { createAccumulator: () => 0, add: (_r: Ride, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
        (key: number, ctx, counts: Iterable<number>, out) => out.collect(`${key}@${ctx.window.start}=${[...counts][0]}`),
      );
    const got = await windows.executeAndCollect();

    const want = [...expected].map(([id, n]) => `${id}=${n}`).sort();
    expect(got.length).toBe(want.length);
    expect([...got].sort()).toEqual(want);
  }, 240_000);
});
