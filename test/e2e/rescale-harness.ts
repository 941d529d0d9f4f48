/**
 * What the rescale tests share: a keyed, checkpointed job on LevelDB whose records carry a
 * per-key sequence number checked against restored keyed state, written through the
 * exactly-once FileSink, and the check that its committed output is exactly once.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** Keys of the job's records. */
export const KEYS = 10;

/** The job: args output dir, records per second (default 1500). */
export const SEQUENCE_JOB = `
import { DataGeneratorSource, defineJob, FileSink, KeyedProcessFunction, ValueStateDescriptor, WatermarkStrategy } from 'fluss';
import type { Collector, ValueState } from 'fluss';

interface Event { k: number; s: number }

/** Emits "k s", and an ALERT when a key's sequence number is not the one its state expects. */
class SequenceCheck extends KeyedProcessFunction<number, Event, string> {
  private next!: ValueState<number>;
  open(): void {
    this.next = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('next-seq'));
  }
  processElement(e: Event, _ctx: unknown, out: Collector<string>): void {
    const expected = this.next.value() ?? 0;
    if (e.s !== expected) out.collect('ALERT key ' + e.k + ' expected ' + expected + ' got ' + e.s);
    this.next.update(e.s + 1);
    out.collect(e.k + ' ' + e.s);
  }
}

export default defineJob((env, [out, rate]) => {
  env.setStateBackend('leveldb');
  env.enableCheckpointing(500);
  env
    .fromSource(new DataGeneratorSource((i: number) => ({ k: i % ${KEYS}, s: Math.floor(i / ${KEYS}) }), 10_000_000, { ratePerSecond: Number(rate || 1500) }), WatermarkStrategy.noWatermarks(), 'events')
    .uid('events')
    .keyBy((e: Event) => e.k)
    .process(new SequenceCheck())
    .uid('sequence-check')
    .sinkTo(FileSink.forRowFormat(out))
    .uid('file-sink');
});
`;

/** The lines of the visible (committed) part files of `dir`. */
export function committedLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    if (f.startsWith('.')) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line) out.push(line);
  }
  return out;
}

/**
 * Exactly once: no ALERT of the sequence check, every key present, and per key every sequence
 * number from 0 to its last one exactly once (no duplicate, no gap); nothing left hidden.
 */
export function expectExactlyOnce(dir: string): number {
  const lines = committedLines(dir);
  expect(lines.filter((l) => l.startsWith('ALERT')).slice(0, 5)).toEqual([]);
  const perKey = new Map<number, number[]>();
  for (const l of lines) {
    const [k, s] = l.split(' ').map(Number);
    let seqs = perKey.get(k!);
    if (!seqs) perKey.set(k!, (seqs = []));
    seqs.push(s!);
  }
  expect(perKey.size).toBe(KEYS);
  for (const [k, seqs] of perKey) {
    seqs.sort((a, b) => a - b);
    expect(seqs.every((s, i) => s === i), `key ${k}: duplicates or gaps`).toBe(true);
  }
  expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  return lines.length;
}
