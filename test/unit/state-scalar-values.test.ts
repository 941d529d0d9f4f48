import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNativeRecordBytes, NativeRecordEncoder } from '../../src/state/native-record-codec.js';
import { deserializeValue, scalarLength, serializeValue } from '../../src/state/value-codec.js';

const edges = [0, -0, 1, -1, 127, 128, -32, -33, -128, -129, 255, 256, 65535, 65536, -32768, -32769, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53), 0.5, -1.25, NaN, Infinity, -Infinity, Number.MIN_VALUE];

describe('scalar state values written in place', () => {
  it('decode to the same value as msgpackr writes it, record after record', () => {
    const scalar = fc.oneof(
      fc.constantFrom(...edges),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.maxSafeInteger(),
    );
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 1, maxLength: 50 }), (values) => {
        const enc = new NativeRecordEncoder(64);
        const key = Buffer.from('key-bytes-0123456789');
        for (const v of values) {
          const n = scalarLength(v);
          if (n >= 0) enc.putScalar(key, key.length, v, n);
          else enc.put(key, key.length, serializeValue(v));
        }
        const bytes = Buffer.concat(enc.finish());
        const { records, end } = decodeNativeRecordBytes(bytes, 0, true);
        expect(end).toBe(bytes.length);
        expect(records.map(([k, v]) => [k.toString(), deserializeValue(v!)])).toEqual(values.map((v) => [key.toString(), v]));
        for (let i = 0; i < values.length; i++) {
          const n = scalarLength(values[i]);
          // Same size as msgpackr's own encoding where it is one of the forms written in place.
          if (n >= 0 && typeof values[i] !== 'number') expect(records[i]![1]!.length).toBe(serializeValue(values[i]).length);
          expect(Object.is(deserializeValue(records[i]![1]!), values[i])).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leave every other value to msgpackr', () => {
    for (const v of [undefined, 'x'.repeat(32), 'é', [1], { a: 1 }, new Map(), 10n]) expect(scalarLength(v)).toBe(-1);
  });
});
