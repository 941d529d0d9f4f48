import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource, planFileSplits } from '../../src/connectors/file-source.js';
import type { SourceReader } from '../../src/common/source.js';

async function drain(reader: SourceReader<string>, limit = Infinity): Promise<string[]> {
  const out: string[] = [];
  const output = { collect: (v: string) => out.push(v) };
  await reader.start();
  for (;;) {
    const status = reader.pollNext(output, 1000);
    if (status === 'END_OF_INPUT' || out.length >= limit) return out;
    if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
  }
}

describe('FileSource byte-range splits (splitLargeFiles)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluss-splits-'));
  const file = join(dir, 'big.txt');
  // ~6 MB of lines of varying length, some empty, so range bounds fall mid-line and on line starts.
  const lines = Array.from({ length: 200_000 }, (_, i) => (i % 17 === 0 ? '' : `line ${i} ${'y'.repeat(i % 40)}`));
  writeFileSync(file, lines.join('\n') + '\n');

  it('cuts a large file into one range per subtask and reads every line exactly once', async () => {
    for (const parallelism of [2, 3, 5]) {
      const splits = await planFileSplits(file, parallelism, true);
      expect(splits).toHaveLength(parallelism);
      const parts = await Promise.all(
        Array.from({ length: parallelism }, (_, i) =>
          drain(FileSource.forLines(file).splitLargeFiles().createReader({ subtaskIndex: i, parallelism, sourceName: 'f' })),
        ),
      );
      for (const p of parts) expect(p.length).toBeGreaterThan(0);
      expect(parts.flat().sort()).toEqual([...lines].sort());
    }
  });

  it('resumes a range from its checkpointed position', async () => {
    const reader = FileSource.forLines(file).splitLargeFiles().createReader({ subtaskIndex: 1, parallelism: 2, sourceName: 'f' });
    const first = await drain(reader, 5000);
    const state = reader.snapshotState();
    await reader.close();
    const resumed = FileSource.forLines(file).splitLargeFiles().createReader({ subtaskIndex: 1, parallelism: 2, sourceName: 'f' });
    resumed.restoreState(state);
    const rest = await drain(resumed);
    const whole = await drain(FileSource.forLines(file).splitLargeFiles().createReader({ subtaskIndex: 1, parallelism: 2, sourceName: 'f' }));
    expect([...first, ...rest]).toEqual(whole);
  });

  it('keeps small files whole', async () => {
    const small = join(dir, 'small.txt');
    writeFileSync(small, 'a\nb\n');
    expect(await planFileSplits(small, 4, true)).toEqual([{ path: small, start: 0, end: null, offset: 0 }]);
  });
});

describe('FileSource whole-file splits (the default)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluss-whole-'));
  const big = join(dir, 'a-big.txt');
  const small = join(dir, 'b-small.txt');
  const bigLines = Array.from({ length: 200_000 }, (_, i) => `big ${i} ${'z'.repeat(i % 40)}`);
  writeFileSync(big, bigLines.join('\n') + '\n');
  writeFileSync(small, 'small 0\nsmall 1\n');

  it('never cuts a file, however large: one split per file, dealt round-robin in path order', async () => {
    expect(await planFileSplits(dir, 4)).toEqual([
      { path: big, start: 0, end: null, offset: 0 },
      { path: small, start: 0, end: null, offset: 0 },
    ]);
  });

  it('reads each file whole and in file order on one subtask', async () => {
    const parts = await Promise.all(
      [0, 1, 2, 3].map((i) => drain(FileSource.forLines(dir).createReader({ subtaskIndex: i, parallelism: 4, sourceName: 'f' }))),
    );
    expect(parts[0]).toEqual(bigLines);
    expect(parts[1]).toEqual(['small 0', 'small 1']);
    expect(parts[2]).toEqual([]);
    expect(parts[3]).toEqual([]);
  });

  it('refuses splitLargeFiles() with watermarks in fromSource, in one line', async () => {
    const { StreamExecutionEnvironment } = await import('../../src/api/stream-execution-environment.js');
    const { WatermarkStrategy } = await import('../../src/common/watermark-strategy.js');
    const env = new StreamExecutionEnvironment({ mode: 'builder' });
    const strategy = WatermarkStrategy.forBoundedOutOfOrderness<string>(1000).withTimestampAssigner((l) => Number(l.split(' ')[1]));
    expect(() => env.fromSource(FileSource.forLines(dir).splitLargeFiles(), strategy, 'lines')).toThrow(
      /^FileSource\(.*\)\.splitLargeFiles\(\) reads parts of a file in parallel, out of event-time order, so it cannot be used with watermarks: drop splitLargeFiles\(\)[^\n]*$/,
    );
    // Without watermarks, and without splitting, both are accepted.
    expect(() => env.fromSource(FileSource.forLines(dir).splitLargeFiles(), WatermarkStrategy.noWatermarks<string>(), 'a')).not.toThrow();
    expect(() => env.fromSource(FileSource.forLines(dir), strategy, 'b')).not.toThrow();
  });
});
