/**
 * Event-time windows on a real cluster, on both state backends: a JobManager and two
 * TaskManager processes from bin/fluss run job files that read out-of-order events with
 * FileSource + a watermark strategy, count them per key in tumbling, sliding and session
 * windows and in event-time timer buckets, and route events far behind the watermark to a late
 * side output; the FileSink output must equal what is computed here.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessCluster, runCli, startProcessCluster } from '../helpers/process-cluster.js';

const JOB = `
import {
  defineJob, EventTimeSessionWindows, FileSink, FileSource, KeyedProcessFunction, MapStateDescriptor,
  SlidingEventTimeWindows, TumblingEventTimeWindows, WatermarkStrategy,
} from 'fluss';

const count = { createAccumulator: () => 0, add: (_e, a) => a + 1, getResult: (a) => a, merge: (a, b) => a + b };

/** Counts per key and 1 s bucket with event-time timers: a bucket is emitted when the watermark passes it. */
class BucketCounter extends KeyedProcessFunction {
  open() {
    this.counts = this.getRuntimeContext().getMapState(new MapStateDescriptor('buckets'));
  }
  processElement(e, ctx) {
    const bucket = e.t - (e.t % 1000);
    this.counts.put(bucket, (this.counts.get(bucket) ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(bucket + 999);
  }
  onTimer(ts, ctx, out) {
    const bucket = ts - 999;
    out.collect(ctx.getCurrentKey() + ' ' + bucket + ' ' + this.counts.get(bucket));
    this.counts.remove(bucket);
  }
}

export default defineJob((env, [input, out, backend]) => {
  env.setStateBackend(backend);
  env.getConfig().setAutoWatermarkInterval(50);
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness(1000).withTimestampAssigner((line: string) => Number(line.split(',')[1]));
  const keyed = env
    .fromSource(FileSource.forLines(input), strategy, 'events')
    .map((line: string) => ({ k: line.split(',')[0], t: Number(line.split(',')[1]) }))
    .keyBy((e) => e.k);
  keyed
    .window(TumblingEventTimeWindows.of(5000))
    .aggregate(count, (key: string, ctx, n, o) => o.collect(key + ' ' + ctx.window.start + ' ' + [...n][0]))
    .sinkTo(FileSink.forRowFormat(out + '/tumbling'));
  keyed
    .window(SlidingEventTimeWindows.of(4000, 1000))
    .process((key: string, ctx, els, o) => o.collect(key + ' ' + ctx.window.start + ' ' + [...els].length))
    .sinkTo(FileSink.forRowFormat(out + '/sliding'));
  keyed
    .window(EventTimeSessionWindows.withGap(2000))
    .aggregate(count, (key: string, ctx, n, o) => o.collect(key + ' ' + ctx.window.start + ' ' + ctx.window.end + ' ' + [...n][0]))
    .sinkTo(FileSink.forRowFormat(out + '/sessions'));
  keyed.process(new BucketCounter()).sinkTo(FileSink.forRowFormat(out + '/timers'));
});
`;

/** Late events: a punctuated watermark after every event, so lateness does not depend on timing. */
const LATE_JOB = `
import { defineJob, FileSink, FileSource, OutputTag, TumblingEventTimeWindows, WatermarkStrategy } from 'fluss';

class Punctuated {
  max = Number.NEGATIVE_INFINITY;
  onEvent(_e, ts, out) {
    if (ts > this.max) this.max = ts;
    out.emitWatermark(this.max - 100);
  }
  onPeriodicEmit() {}
}

export default defineJob((env, [input, out, backend]) => {
  env.setStateBackend(backend);
  const late = new OutputTag('late');
  const counted = env
    .fromSource(
      FileSource.forLines(input),
      WatermarkStrategy.forGenerator(() => new Punctuated()).withTimestampAssigner((line: string) => Number(line.split(',')[1])),
      'events',
    )
    .setParallelism(1)
    .keyBy((line: string) => line.split(',')[0])
    .window(TumblingEventTimeWindows.of(1000))
    .sideOutputLateData(late)
    .aggregate(
      { createAccumulator: () => 0, add: (_e, a) => a + 1, getResult: (a) => a, merge: (a, b) => a + b },
      (key: string, ctx, n, o) => o.collect(key + ' ' + ctx.window.start + ' ' + [...n][0]),
    );
  counted.sinkTo(FileSink.forRowFormat(out + '/windows'));
  counted.getSideOutput(late).sinkTo(FileSink.forRowFormat(out + '/late'));
});
`;

/** Events per file: `key,timestamp`, shuffled back by up to 800 ms, with quiet stretches. */
function generate(files: number, perFile: number): { contents: string[]; events: [string, number][] } {
  const events: [string, number][] = [];
  const contents: string[] = [];
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let f = 0; f < files; f++) {
    const lines: string[] = [];
    for (let i = 0; i < perFile; i++) {
      if (Math.floor(i / 300) % 5 === 4) continue; // a quiet stretch: sessions end
      const key = `key${Math.floor(rnd() * 9)}`;
      const ts = 1_000_000 + i * 25 - Math.floor(rnd() * 800);
      events.push([key, ts]);
      lines.push(`${key},${ts}`);
    }
    contents.push(lines.join('\n') + '\n');
  }
  return { contents, events };
}

function readOutput(dir: string): string[] {
  const lines: string[] = [];
  for (const f of readdirSync(dir).filter((n) => !n.startsWith('.'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line) lines.push(line);
  }
  return lines.sort();
}

describe.each(['memory', 'leveldb'])('event-time windows on a process cluster (%s backend)', (backend) => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await startProcessCluster({ taskManagers: 2, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counts tumbling, sliding and session windows and timer buckets per key at parallelism 4 exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-windows-'));
    const inputDir = join(dir, 'input');
    mkdirSync(inputDir);
    // One file per source subtask, out of order within the 1 s bound: nothing is late.
    const { contents, events } = generate(4, 6000);
    contents.forEach((c, i) => writeFileSync(join(inputDir, `part-${i}.csv`), c));
    writeFileSync(join(dir, 'job.ts'), JOB);
    const out = join(dir, 'out');

    const res = await runCli(['run', '-m', cluster.address, '-p', '4', join(dir, 'job.ts'), inputDir, out, backend], {}, 180_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);

    const windows = (size: number, slide: number) => {
      const counts = new Map<string, number>();
      for (const [k, t] of events) {
        for (let start = t - (t % slide); start > t - size; start -= slide) {
          const id = `${k} ${start}`;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
      return [...counts].map(([id, n]) => `${id} ${n}`).sort();
    };
    expect(readOutput(join(out, 'tumbling'))).toEqual(windows(5000, 5000));
    expect(readOutput(join(out, 'sliding'))).toEqual(windows(4000, 1000));
    expect(readOutput(join(out, 'timers'))).toEqual(windows(1000, 1000));

    const byKey = new Map<string, number[]>();
    for (const [k, t] of events) (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(t);
    const sessions: string[] = [];
    for (const [k, ts] of byKey) {
      ts.sort((a, b) => a - b);
      let start = ts[0]!;
      let last = start;
      let n = 1;
      for (const t of ts.slice(1)) {
        if (t <= last + 2000) {
          last = t;
          n++;
        } else {
          sessions.push(`${k} ${start} ${last + 2000} ${n}`);
          start = last = t;
          n = 1;
        }
      }
      sessions.push(`${k} ${start} ${last + 2000} ${n}`);
    }
    expect(sessions.length).toBeGreaterThanOrEqual(9 * 4);
    expect(readOutput(join(out, 'sessions'))).toEqual(sessions.sort());
  }, 240_000);

  it('sends exactly the events far behind the watermark to the late side output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-late-'));
    const lines: string[] = [];
    const late: string[] = [];
    const onTime = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const k = `k${i % 5}`;
      const t = 10_000 + i * 10 - (i % 7) * 10;
      lines.push(`${k},${t}`);
      const id = `${k} ${t - (t % 1000)}`;
      onTime.set(id, (onTime.get(id) ?? 0) + 1);
      if (i % 250 === 249) {
        const behind = `k${i % 3},${10_000 + i * 10 - 5000}`;
        lines.push(behind);
        late.push(behind);
      }
    }
    writeFileSync(join(dir, 'input.csv'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'job.ts'), LATE_JOB);
    const out = join(dir, 'out');
    const res = await runCli(['run', '-m', cluster.address, '-p', '2', join(dir, 'job.ts'), join(dir, 'input.csv'), out, backend], {}, 120_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readOutput(join(out, 'late'))).toEqual([...late].sort());
    expect(readOutput(join(out, 'windows'))).toEqual([...onTime].map(([id, n]) => `${id} ${n}`).sort());
  }, 240_000);
});
