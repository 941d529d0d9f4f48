import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/index.js';
import { printRecord, PrintSinkWriter } from '../../src/connectors/print-sink.js';

class TaxiRide {
  constructor(
    readonly rideId: number,
    readonly isStart: boolean,
  ) {}
  toString(): string {
    return `${this.rideId},${this.isStart ? 'START' : 'END'}`;
  }
}

class Plain {
  constructor(readonly a: number) {}
}

class Derived extends TaxiRide {}

describe('print() renders values as Flink does', () => {
  it("uses a class's own toString(), JSON for everything else", () => {
    expect(printRecord(new TaxiRide(7, true))).toBe('7,START');
    expect(printRecord(new Derived(8, false))).toBe('8,END');
    expect(printRecord({ toString: () => 'literal' })).toBe('literal');
    expect(printRecord(new Plain(1))).toBe('{"a":1}');
    expect(printRecord({ a: 1 })).toBe('{"a":1}');
    expect(printRecord(['a', 1])).toBe('["a",1]');
    expect(printRecord(new Map([['k', 1]]))).toBe('{"k":1}');
    expect(printRecord(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
    expect(printRecord('text')).toBe('text');
    expect(printRecord(12n)).toBe('12');
  });

  it('the print sink writer prefixes toString() lines', () => {
    const chunks: string[] = [];
    const w = new PrintSinkWriter<unknown>('rides> ', (c) => chunks.push(c));
    w.write(new TaxiRide(1, true), undefined as never);
    w.write({ n: 2 }, undefined as never);
    w.flush(true);
    expect(chunks.join('')).toBe('rides> 1,START\nrides> {"n":2}\n');
  });
});

describe('print() in a job', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints class instances with their toString()', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      if (text.includes('ride> ')) lines.push(...text.split('\n').filter((l) => l.startsWith('ride> ')));
      else return write(chunk as string, ...(rest as []));
      return true;
    }) as typeof process.stdout.write);
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    env
      .fromElements(1, 2, 3)
      .map((n: number) => new TaxiRide(n, n % 2 === 1))
      .print('ride');
    await env.execute('print toString');
    expect(lines).toEqual(['ride> 1,START', 'ride> 2,END', 'ride> 3,START']);
  });
});
