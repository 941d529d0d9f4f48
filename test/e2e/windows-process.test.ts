/**
 * Event-time windows on a real cluster: a JobManager and two TaskManager processes from
 * bin/fluss run a job file that reads out-of-order events with FileSource + a watermark
 * strategy, counts them per key in tumbling and session windows, and writes FileSink output
 * that must equal the counts computed here.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessCluster, runCli, startProcessCluster } from '../helpers/process-cluster.js';

const JOB = `
import { defineJob, EventTimeSessionWindows, FileSink, FileSource, TumblingEventTimeWindows, WatermarkStrategy } from 'fluss';

const count = { createAccumulator: () => 0, add: (_e, a) => a + 1, getResult: (a) => a, merge: (a, b) => a + b };

export default defineJob((env, [input, tumblingOut, sessionOut]) => {
  env.getConfig().setAutoWatermarkInterval(50);
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness(1000).withTimestampAssigner((line: string) => Number(line.split(',')[1]));
  const keyed = env
    .fromSource(FileSource.forLines(input), strategy, 'events')
    .map((line: string) => line.split(',')[0])
    .keyBy((k: string) => k);
  keyed
    .window(TumblingEventTimeWindows.of(5000))
    .aggregate(count, (key: string, ctx, n, out) => out.collect(key + ' ' + ctx.window.start + ' ' + [...n][0]))
    .sinkTo(FileSink.forRowFormat(tumblingOut));
  keyed
    .window(EventTimeSessionWindows.withGap(2000))
    .aggregate(count, (key: string, ctx, n, out) => out.collect(key + ' ' + ctx.window.start + ' ' + ctx.window.end + ' ' + [...n][0]))
    .sinkTo(FileSink.forRowFormat(sessionOut));
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

describe('event-time windows on a process cluster', () => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await startProcessCluster({ taskManagers: 2, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counts tumbling and session windows per key at parallelism 4 exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-windows-'));
    const inputDir = join(dir, 'input');
    mkdirSync(inputDir);
    // One file per source subtask: every split is read in order, so nothing is late.
    const { contents, events } = generate(4, 6000);
    contents.forEach((c, i) => writeFileSync(join(inputDir, `part-${i}.csv`), c));
    writeFileSync(join(dir, 'job.ts'), JOB);
    const tumblingOut = join(dir, 'tumbling');
    const sessionOut = join(dir, 'sessions');

    const res = await runCli(['run', '-m', cluster.address, '-p', '4', join(dir, 'job.ts'), inputDir, tumblingOut, sessionOut], {}, 180_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);

    const tumbling = new Map<string, number>();
    const byKey = new Map<string, number[]>();
    for (const [k, t] of events) {
      const id = `${k} ${t - (t % 5000)}`;
      tumbling.set(id, (tumbling.get(id) ?? 0) + 1);
      (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(t);
    }
    expect(readOutput(tumblingOut)).toEqual([...tumbling].map(([id, n]) => `${id} ${n}`).sort());

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
    expect(readOutput(sessionOut)).toEqual(sessions.sort());
  }, 240_000);
});
