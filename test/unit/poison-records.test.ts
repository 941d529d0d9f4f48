/**
 * Poison records in the parsing sources, driven through their real readers: a FileSource line
 * decoder over a real file, a SocketTextSource decoder over a real socket, and a throwing
 * DataGeneratorSource function, under `fail` (the default) and `skip` (dropped, counted, and
 * logged at most once per interval with the count since the last line).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DataGeneratorSource } from '../../src/connectors/data-generator-source.js';
import { FileSource } from '../../src/connectors/file-source.js';
import { configurePoisonRecords, numRecordsDropped, PoisonRecordError, PoisonRecordHandler } from '../../src/connectors/poison-records.js';
import { SocketTextSource } from '../../src/connectors/socket-text-source.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { ReaderOutput, Source } from '../../src/common/source.js';

const dir = mkdtempSync(join(tmpdir(), 'fluss-poison-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => configurePoisonRecords({ policy: 'fail', logIntervalMs: 5_000 }));

/** Reads a bounded source to its end on one subtask; resolves with its records. */
async function readAll<T>(source: Source<T>, sourceName: string): Promise<T[]> {
  const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, sourceName });
  const out: T[] = [];
  const output: ReaderOutput<T> = { collect: (v) => out.push(v) };
  await reader.start();
  try {
    for (;;) {
      const status = reader.pollNext(output, 100);
      if (status === 'END_OF_INPUT') return out;
      if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
    }
  } finally {
    await reader.close();
  }
}

const lines = ['{"id":1}', '{"id":2}', '{oops', '{"id":3}', 'not json at all', '{"id":4}'];
const file = join(dir, 'events.jsonl');
writeFileSync(file, `${lines.join('\n')}\n`);
const decode = (line: string) => JSON.parse(line) as { id: number };

describe('poison records in FileSource', () => {
  it('fails by default, naming the source, the file, the byte offset and the line', async () => {
    const err = await readAll(FileSource.forLines(file, { decode }), 'Source: events-fail').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoisonRecordError);
    expect((err as Error).message).toMatch(/^Source: events-fail: cannot decode the line at byte 18 of .*events\.jsonl \("\{oops"\): SyntaxError: /);
  });

  it('skips and counts with withPoisonPolicy("skip")', async () => {
    const got = await readAll(FileSource.forLines(file, { decode }).withPoisonPolicy('skip'), 'Source: events-skip');
    expect(got.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(numRecordsDropped('Source: events-skip')).toBe(2);
  });

  it('follows the process default set from pipeline.poison-records.policy', async () => {
    configurePoisonRecords({ policy: 'skip' });
    expect((await readAll(FileSource.forLines(file, { decode }), 'Source: events-default')).length).toBe(4);
    // A source's own policy wins over the default.
    await expect(readAll(FileSource.forLines(file, { decode, poisonPolicy: 'fail' }), 'Source: own')).rejects.toBeInstanceOf(PoisonRecordError);
  });

  it('refuses an unknown policy at build time', () => {
    expect(() => FileSource.forLines(file, { decode }).withPoisonPolicy('ignore' as 'skip')).toThrow(InvalidArgumentError);
  });
});

describe('poison records in other sources', () => {
  it('DataGeneratorSource: a throwing function fails naming the index, or is skipped', async () => {
    const fn = (i: number) => {
      if (i % 10 === 3) throw new Error(`bad ${i}`);
      return i;
    };
    await expect(readAll(new DataGeneratorSource(fn, 50), 'Source: gen-fail')).rejects.toThrow('Source: gen-fail: cannot decode the record of index 3: bad 3');
    const got = await readAll(new DataGeneratorSource(fn, 50, { poisonPolicy: 'skip' }), 'Source: gen-skip');
    expect(got).toHaveLength(45);
    expect(got).not.toContain(13);
    expect(numRecordsDropped('Source: gen-skip')).toBe(5);
  });

  it('SocketTextSource: a throwing decoder is skipped and the stream continues', async () => {
    const server = createServer((socket) => socket.end('1\n2\nx\n3\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const toNumber = (line: string) => {
        const n = Number(line);
        if (Number.isNaN(n)) throw new Error(`not a number: ${line}`);
        return n;
      };
      const source = new SocketTextSource('127.0.0.1', port, '\n', { decode: toNumber }).withPoisonPolicy('skip');
      expect(await readAll(source, 'Source: socket-skip')).toEqual([1, 2, 3]);
      expect(numRecordsDropped('Source: socket-skip')).toBe(1);
      const failing = new SocketTextSource('127.0.0.1', port, '\n', { decode: toNumber, poisonPolicy: 'fail' });
      await expect(readAll(failing, 'Source: socket-fail')).rejects.toThrow(/^Source: socket-fail: cannot decode the line "x" from 127\.0\.0\.1:\d+: not a number: x$/);
    } finally {
      server.close();
    }
  });
});

describe('PoisonRecordHandler', () => {
  it('logs at most once per interval with the count since the last line, and the rest on flush', () => {
    const logged: { fields: Record<string, unknown>; message: string }[] = [];
    configurePoisonRecords({ logIntervalMs: 60_000, log: { warn: (fields, message) => logged.push({ fields, message }) } });
    const handler = new PoisonRecordHandler('Source: burst', 'skip');
    for (let i = 0; i < 1000; i++) handler.onPoison(new Error(`e${i}`), `record of index ${i}`);
    expect(handler.numRecordsDropped).toBe(1000);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields).toMatchObject({ source: 'Source: burst', dropped: 1, numRecordsDropped: 1 });
    handler.flush();
    expect(logged).toHaveLength(2);
    expect(logged[1]!.message).toBe('Source: burst: dropped 999 poison records since the last report (1000 in all); last: cannot decode the record of index 999: e999');
  });
});
