import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectionSource } from '../../src/connectors/collection-source.js';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { FileSource } from '../../src/connectors/file-source.js';
import { SequenceSource } from '../../src/connectors/sequence-source.js';
import { SocketTextSource } from '../../src/connectors/socket-text-source.js';
import type { Source, SourceReader } from '../../src/common/source.js';

/** Drains a reader the way a task does: poll, and await availability when nothing is ready. */
async function drain<T>(reader: SourceReader<T>, maxPerPoll = 3): Promise<T[]> {
  const out: T[] = [];
  const output = { collect: (v: T) => out.push(v) };
  await reader.start();
  for (;;) {
    const status = reader.pollNext(output, maxPerPoll);
    if (status === 'END_OF_INPUT') break;
    if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
  }
  await reader.close();
  return out;
}

function reader<T>(source: Source<T>, subtaskIndex = 0, parallelism = 1): SourceReader<T> {
  return source.createReader({ subtaskIndex, parallelism, sourceName: 'test' });
}

describe('CollectionSource and SequenceSource', () => {
  it('emits a collection in order and is replayable from its position', async () => {
    const src = new CollectionSource(['a', 'b', 'c', 'd']);
    expect(src.maxParallelism).toBe(1);
    const r = reader(src);
    const out: string[] = [];
    r.pollNext({ collect: (v) => out.push(v) }, 2);
    const pos = r.snapshotState();
    const r2 = reader(src);
    r2.restoreState(pos);
    expect([...out, ...(await drain(r2))]).toEqual(['a', 'b', 'c', 'd']);
  });

  it('splits a sequence into contiguous shares', async () => {
    const src = new SequenceSource(1, 10);
    const shares = await Promise.all([0, 1, 2].map((i) => drain(reader(src, i, 3))));
    expect(shares).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9, 10]]);
  });
});

describe('FileSource', () => {
  it('reads several files of a directory at parallelism 2, files round-robin, sorted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-fs-'));
    await writeFile(join(dir, 'a.txt'), 'a1\na2\n');
    await writeFile(join(dir, 'b.txt'), 'b1\r\nb2');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'c.txt'), 'c1\n');
    await writeFile(join(dir, '.hidden'), 'nope\n');
    const src = FileSource.forLines(dir);
    const s0 = await drain(reader(src, 0, 2));
    const s1 = await drain(reader(src, 1, 2));
    expect(s0).toEqual(['a1', 'a2', 'c1']);
    expect(s1).toEqual(['b1', 'b2']);
  });

  it('reads a large file across many buffer refills and resumes from a byte offset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluss-fs-'));
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 17)} ü`);
    const file = join(dir, 'big.txt');
    await writeFile(file, lines.join('\n') + '\n');
    const r = reader(FileSource.forLines(file));
    await r.start();
    const first: string[] = [];
    while (first.length < 1000) {
      const st = r.pollNext({ collect: (v) => first.push(v) }, 1000 - first.length);
      if (st === 'NOTHING_AVAILABLE') await r.isAvailable();
    }
    const pos = r.snapshotState();
    await r.close();
    const r2 = reader(FileSource.forLines(file));
    r2.restoreState(pos);
    const rest = await drain(r2, 500);
    expect([...first, ...rest]).toEqual(lines);
  });

  it('fails with an error naming a missing path', async () => {
    const r = reader(FileSource.forLines('/no/such/fluss-path'));
    await expect(Promise.resolve(r.start())).rejects.toThrow('/no/such/fluss-path');
  });
});

describe('DataGeneratorSource', () => {
  it('splits indices across subtasks', async () => {
    const src = new DataGeneratorSource((i) => i * 10, 7);
    const s0 = await drain(reader(src, 0, 2));
    const s1 = await drain(reader(src, 1, 2));
    expect([...s0, ...s1].sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(src.boundedness).toBe('BOUNDED');
    expect(new DataGeneratorSource((i) => i, Infinity).boundedness).toBe('CONTINUOUS_UNBOUNDED');
  });

  it('honours ratePerSecond (total over subtasks) without busy-waiting', async () => {
    const src = new DataGeneratorSource((i) => i, 40, { ratePerSecond: 200 });
    const started = Date.now();
    let polls = 0;
    const r = reader(src, 0, 2);
    await r.start();
    const out: number[] = [];
    for (;;) {
      polls++;
      const st = r.pollNext({ collect: (v) => out.push(v) }, 100);
      if (st === 'END_OF_INPUT') break;
      if (st === 'NOTHING_AVAILABLE') await r.isAvailable();
    }
    const elapsed = Date.now() - started;
    expect(out).toHaveLength(20);
    // 20 records at 100/s per subtask take ~190 ms.
    expect(elapsed).toBeGreaterThanOrEqual(170);
    expect(polls).toBeLessThan(60);
  });
});

describe('SocketTextSource', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('reads delimited lines from a real TCP server until it closes', async () => {
    server = createServer((sock) => {
      sock.write('hello\nwor');
      setTimeout(() => sock.end('ld\nlast'), 20);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const src = new SocketTextSource('127.0.0.1', port);
    expect(src.maxParallelism).toBe(1);
    expect(await drain(reader(src))).toEqual(['hello', 'world', 'last']);
  });

  it('pauses the socket when its buffer is full and still delivers everything', async () => {
    const n = 30_000;
    server = createServer((sock) => {
      let s = '';
      for (let i = 0; i < n; i++) s += `${i}|`;
      sock.end(s);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const out = await drain(reader(new SocketTextSource('127.0.0.1', port, '|')), 1000);
    expect(out).toHaveLength(n);
    expect(out[n - 1]).toBe(String(n - 1));
  });

  it('fails clearly when nothing listens', async () => {
    const r = reader(new SocketTextSource('127.0.0.1', 1));
    await expect(Promise.resolve(r.start())).rejects.toThrow('127.0.0.1:1');
  });
});
