import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SinkContext } from '../../src/common/functions.js';
import { FileSink } from '../../src/connectors/file-sink.js';
import { PrintSinkWriter, printPrefix } from '../../src/connectors/print-sink.js';

const ctx: SinkContext = { timestamp: () => undefined, currentProcessingTime: () => Date.now(), currentWatermark: () => 0 };
const writerCtx = (subtaskIndex: number, parallelism: number) => ({ subtaskIndex, parallelism, attemptNumber: 0, jobId: 'j', operatorName: 'Sink' });

describe('PrintSink', () => {
  it("uses Flink's prefixes", () => {
    expect(printPrefix(undefined, 0, 1)).toBe('');
    expect(printPrefix(undefined, 2, 4)).toBe('3> ');
    expect(printPrefix('out', 2, 4)).toBe('out:3> ');
    expect(printPrefix('out', 0, 1)).toBe('out> ');
  });

  it('buffers lines and writes them in chunks: strings as is, others as JSON', () => {
    const chunks: string[] = [];
    const w = new PrintSinkWriter<unknown>('2> ', (c) => chunks.push(c));
    w.write('hello', ctx);
    w.write({ a: 1 }, ctx);
    w.write(['x', 2], ctx);
    expect(chunks).toEqual([]);
    w.flush(true);
    expect(chunks).toEqual(['2> hello\n2> {"a":1}\n2> ["x",2]\n']);
    w.close();
  });
});

describe('FileSink', () => {
  it('writes hidden in-progress files, rolls by size, and renames them at end of input', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fluss-sink-')), 'out');
    const sink = FileSink.forRowFormat<unknown>(dir).withMaxPartSize(64);
    const w = sink.createWriter(writerCtx(1, 2));
    for (let i = 0; i < 20; i++) w.write(i % 2 ? `line-${i}` : { i }, ctx);
    await w.flush(false);
    const during = await readdir(dir);
    expect(during.length).toBeGreaterThan(1);
    for (const f of during) expect(f).toMatch(/^\.part-[0-9a-f-]{36}-1-\d+\.inprogress$/);
    await w.flush(true);
    await w.close();
    const after = (await readdir(dir)).sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
    for (const f of after) expect(f).toMatch(/^part-[0-9a-f-]{36}-1-\d+$/);
    let text = '';
    for (const f of after) text += await readFile(join(dir, f), 'utf8');
    expect(text.trim().split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? `line-${i}` : JSON.stringify({ i }))));
  });

  it('gives every writer a distinct uuid so parts never collide', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-sink-'));
    const sink = FileSink.forRowFormat<string>(dir, (s) => s.toUpperCase());
    for (let run = 0; run < 2; run++) {
      const w = sink.createWriter(writerCtx(0, 1));
      w.write('a', ctx);
      await w.flush(true);
      await w.close();
    }
    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    expect(await readFile(join(dir, files[0]!), 'utf8')).toBe('A\n');
  });
});
