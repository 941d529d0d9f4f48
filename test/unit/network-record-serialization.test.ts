/**
 * Records through the network frame codec: BigInts of any size arrive as BigInts; records that
 * cannot be serialised (circular, functions, symbols, nesting too deep) are refused with one
 * typed line that says where the problem sits; the codec keeps working afterwards. A fast-check
 * property throws arbitrary JavaScript values (poisoned or not) at the codec: each either
 * arrives intact or is refused with that line, never with a RangeError from msgpack.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameCodec } from '../../src/network/frame-codec.js';
import { encodeFrames } from '../../src/network/data-exchange-service.js';
import { findUnserializable } from '../../src/core/find-unserializable.js';
import { MAX_NESTING_DEPTH } from '../../src/core/nesting-depth.js';
import { UnserializableRecordError } from '../../src/network/record-serialization.js';
import type { ChannelItem, RecordBatch } from '../../src/common/stream-element.js';

const batch = (...values: unknown[]): RecordBatch => ({ kind: 'records', values, timestamps: null });

function refusal(codec: FrameCodec, value: unknown): UnserializableRecordError {
  try {
    codec.encode(batch(value));
  } catch (err) {
    expect(err).toBeInstanceOf(UnserializableRecordError);
    expect((err as Error).message).not.toContain('\n');
    return err as UnserializableRecordError;
  }
  throw new Error('the record was encoded');
}

describe('FrameCodec and unserialisable records', () => {
  it('carries BigInts of any size as BigInts', () => {
    const codec = new FrameCodec();
    const values = [0n, 5n, -5n, 2n ** 63n, 2n ** 64n + 1n, 10n ** 30n, -(10n ** 30n), 7n ** 200n, { total: 10n ** 30n, n: 1 }];
    expect(codec.decode(codec.encode(batch(...values)))).toEqual(batch(...values));
    const big = (codec.decode(codec.encode(batch(10n ** 30n))) as RecordBatch).values[0];
    expect(typeof big).toBe('bigint');
    expect(big === 10n ** 30n).toBe(true);
  });

  it('refuses a circular record naming where the cycle closes', () => {
    const codec = new FrameCodec();
    const order: Record<string, unknown> = { id: 1, lines: [{ sku: 'a' }] };
    (order['lines'] as Record<string, unknown>[])[0]!['order'] = order;
    expect(refusal(codec, order).message).toBe('circular reference at record.lines[0].order');
    // The same object twice (no cycle) is fine.
    const shared = { x: 1 };
    expect(codec.decode(codec.encode(batch({ a: shared, b: shared })))).toEqual(batch({ a: { x: 1 }, b: { x: 1 } }));
  });

  it('refuses functions and symbols instead of dropping them', () => {
    const codec = new FrameCodec();
    expect(refusal(codec, { id: 1, onClick: () => 1 }).message).toBe('a function at record.onClick (functions cannot be serialised)');
    expect(refusal(codec, () => 1).message).toBe('a function at record (functions cannot be serialised)');
    expect(refusal(codec, { tags: [Symbol('s')] }).message).toBe('a symbol at record.tags[0] (symbols cannot be serialised)');
    expect(refusal(codec, new Map([['k', { f: Math.max }]])).message).toMatch(/^a function at record\["<map value 0>"\]\.f/);
  });

  it('refuses nesting deeper than the encoder follows, with a bounded message', () => {
    const codec = new FrameCodec();
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = { next: deep };
    const err = refusal(codec, deep);
    expect(err.message).toMatch(/^nested too deeply to serialise: record(\.next){12}… \(\d+ levels deep\)$/);
    expect(err.message.length).toBeLessThan(200);
  });

  it('refuses from the nesting bound on, whatever the stack has room for', () => {
    const codec = new FrameCodec();
    // `levels` containers below the record: arrays, objects, Maps and Sets alike.
    const wraps: ((inner: unknown) => unknown)[] = [(v) => [v], (v) => ({ next: v }), (v) => new Map([['k', v]]), (v) => new Set([v])];
    for (const wrap of wraps) {
      const nest = (levels: number): unknown => {
        let v: unknown = [];
        for (let i = 0; i < levels; i++) v = wrap(v);
        return v;
      };
      // One level short of the bound arrives intact, in a batch with a flat record.
      const fits = batch({ id: 1 }, nest(MAX_NESTING_DEPTH - 1));
      expect(codec.decode(codec.encode(fits))).toEqual(fits);
      // At the bound, and far below where msgpack's recursion could overflow, it is refused.
      for (const levels of [MAX_NESTING_DEPTH, MAX_NESTING_DEPTH + 1, 600]) {
        expect(() => codec.encode(batch({ id: 1 }, nest(levels)))).toThrow(/^nested too deeply to serialise: record/);
      }
    }
  });

  it('refuses a 5 000-deep record every time', () => {
    const codec = new FrameCodec();
    let deep: unknown = 0;
    for (let i = 0; i < 5_000; i++) deep = [deep];
    // Warm the encoder so the JIT keeps its frames small: then the stack has room for 5 000 levels.
    for (let i = 0; i < 200; i++) codec.encode(batch([[[i]]], { a: { b: [i] } }));
    for (let i = 0; i < 50; i++) expect(refusal(codec, deep).message).toMatch(/^nested too deeply to serialise: record(\[0\]){12}… \(4999 levels deep\)$/);
  });

  it('keeps encoding after a refusal', () => {
    const codec = new FrameCodec();
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    for (let i = 0; i < 3; i++) {
      refusal(codec, loop);
      const item = batch({ user: 'u', n: i }, { user: 'v', n: i + 1 });
      expect(codec.decode(codec.encode(item))).toEqual(item);
    }
  });

  it('splits a batch that exceeds the frame limit and refuses one record that does', () => {
    const codec = new FrameCodec();
    const values = Array.from({ length: 64 }, (_, i) => ({ i, pad: 'x'.repeat(1000) }));
    const frames = encodeFrames(codec, { kind: 'records', values, timestamps: values.map((_, i) => i) }, 8 * 1024);
    expect(frames.length).toBeGreaterThanOrEqual(8);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(8 * 1024);
    const back = frames.map((f) => codec.decode(f) as RecordBatch);
    expect(back.flatMap((b) => b.values)).toEqual(values);
    expect(back.flatMap((b) => b.timestamps)).toEqual(values.map((_, i) => i));
    expect(() => encodeFrames(codec, batch('y'.repeat(20_000)), 8 * 1024)).toThrow(
      /^a record of \d+ bytes encoded exceeds the network frame limit of 8192 bytes$/,
    );
  });

  it('diagnoses without recursion', () => {
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 200_000; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    deep.push(root);
    expect(findUnserializable(root)).toMatch(/^circular reference at record(\[0\]){12}… \(200001 levels deep\)$/);
  });
});

// ---- property: arbitrary values, some poisoned ----

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** Values msgpack carries as they are (modulo -0, which it writes as 0). */
const faithful = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme', maxLength: 50 }),
      fc.integer(),
      fc.double().map((d) => (d === 0 ? 0 : d)),
      fc.boolean(),
      fc.constant(null),
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
      fc.date({ noInvalidDate: true }),
    ),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 6 }),
    fc.array(fc.tuple(fc.string({ maxLength: 6 }), tie('value')), { maxLength: 4 }).map((e) => new Map(e)),
  ),
})).value;

type Poison = 'circular' | 'function' | 'symbol' | 'deep';

/** Puts a poison somewhere inside `base` (wrapping scalars). */
function poison(base: unknown, kind: Poison, where: number): unknown {
  const holder: Record<string, unknown> = { base };
  const containers: Record<string, unknown>[] = [holder];
  const walk = (v: unknown): void => {
    if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Map) && !Array.isArray(v)) {
      containers.push(v as Record<string, unknown>);
      for (const c of Object.values(v)) walk(c);
    } else if (Array.isArray(v)) for (const c of v) walk(c);
  };
  walk(base);
  const target = containers[where % containers.length]!;
  if (kind === 'circular') target['loop'] = holder;
  else if (kind === 'function') target['fn'] = () => where;
  else if (kind === 'symbol') target['sym'] = Symbol('p');
  else {
    let deep: unknown = 0;
    for (let i = 0; i < 5_000; i++) deep = [deep];
    target['deep'] = deep;
  }
  return holder;
}

const poisoned = fc
  .tuple(faithful, fc.constantFrom<Poison>('circular', 'function', 'symbol', 'deep'), fc.nat())
  .map(([base, kind, where]) => ({
    value: poison(base, kind, where),
    kind,
    // A failing case is reported by this line: printing a 5 000-deep value would overflow the
    // reporter's stack and hide which assertion failed.
    [fc.toStringMethod]: () => `${kind} poison at container ${where} of ${fc.stringify(base)}`,
  }));

describe('FrameCodec property', () => {
  it('every faithful value arrives intact, in batches with others', () => {
    const a = new FrameCodec();
    const b = new FrameCodec();
    fc.assert(
      fc.property(fc.array(faithful, { minLength: 1, maxLength: 8 }), (values) => {
        const item: ChannelItem = batch(...values);
        expect(b.decode(a.encode(item))).toEqual(item);
      }),
      { numRuns: 300 },
    );
  });

  it('every poisoned value is refused with one line naming the kind of problem', () => {
    const codec = new FrameCodec();
    const expected: Record<Poison, RegExp> = {
      circular: /^circular reference at record/,
      function: /^a function at record/,
      symbol: /^a symbol at record/,
      deep: /^nested too deeply to serialise: record/,
    };
    fc.assert(
      fc.property(poisoned, faithful, ({ value, kind }, healthy) => {
        expect(refusal(codec, value).message).toMatch(expected[kind]);
        // The codec is still sound afterwards.
        expect(codec.decode(codec.encode(batch(healthy)))).toEqual(batch(healthy));
      }),
      { numRuns: 200 },
    );
  });

  it('anything else (class instances, sets, typed arrays, huge strings) never escapes as a raw error', () => {
    const codec = new FrameCodec();
    const odd = fc.oneof(
      {
        arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true, withDate: true }),
        weight: 8,
      },
      { arbitrary: fc.tuple(fc.integer(), fc.integer()).map(([x, y]) => new Point(x, y)), weight: 2 },
      { arbitrary: fc.nat({ max: 3 }).map((n) => 'z'.repeat(1_000_000 * (n + 1))), weight: 1 },
    );
    fc.assert(
      fc.property(odd, (value) => {
        let frame: Buffer;
        try {
          frame = codec.encode(batch(value));
        } catch (err) {
          expect(err).toBeInstanceOf(UnserializableRecordError);
          expect((err as Error).message).not.toContain('\n');
          return;
        }
        expect((codec.decode(frame) as RecordBatch).values).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });
});
