import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource, planFileSplits } from '../../src/connectors/file-source.js';
import type { SourceReader } from '../../src/connectors/source.js';

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

describe('FileSource byte-range splits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluss-splits-'));
  const file = join(dir, 'big.txt');
  // ~6 MB of lines of varying length, some empty, so range bounds fall mid-line and on line starts.
  const lines = Array.from({ length: 200_000 }, (_, i) => (i % 17 === 0 ? '' : `line ${i} ${'y'.repeat(i % 40)}`));
  writeFileSync(file, lines.join('\n') + '\n');

  it('cuts a large file into one range per subtask and reads every line exactly once', async () => {
    for (const parallelism of [2, 3, 5]) {
      const splits = await planFileSplits(file, parallelism);
      expect(splits).toHaveLength(parallelism);
      const parts = await Promise.all(
        Array.from({ length: parallelism }, (_, i) =>
          drain(FileSource.forLines(file).createReader({ subtaskIndex: i, parallelism, sourceName: 'f' })),
        ),
      );
      for (const p of parts) expect(p.length).toBeGreaterThan(0);
      expect(parts.flat().sort()).toEqual([...lines].sort());
    }
  });

  it('resumes a range from its checkpointed position', async () => {
    const reader = FileSource.forLines(file).createReader({ subtaskIndex: 1, parallelism: 2, sourceName: 'f' });
    const first = await drain(reader, 5000);
    const state = reader.snapshotState();
    await reader.close();
    const resumed = FileSource.forLines(file).createReader({ subtaskIndex: 1, parallelism: 2, sourceName: 'f' });
    resumed.restoreState(state);
    const rest = await drain(resumed);
    const whole = await drain(FileSource.forLines(file).createReader({ subtaskIndex: 1, parallelism: 2, sourceName: 'f' }));
    expect([...first, ...rest]).toEqual(whole);
  });

  it('keeps small files whole', async () => {
    const small = join(dir, 'small.txt');
    writeFileSync(small, 'a\nb\n');
    expect(await planFileSplits(small, 4)).toEqual([{ path: small, start: 0, end: null, offset: 0 }]);
  });
});
