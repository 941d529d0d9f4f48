/**
 * User code throws anything, not only Errors: strings, symbols, null-prototype objects, objects
 * whose toString throws, circular objects. Each fails its task with one line naming the
 * operator that threw it (not an operator further up the chain, which is what happened when
 * describing the value threw), and a state value that cannot be serialised says where.
 */
import { describe, expect, it } from 'vitest';
import { buildJob } from '../../src/api/build-job.js';
import { executeLocally } from '../../src/cluster/local-executor.js';
import { describeError, UserCodeError } from '../../src/core/errors.js';
import { serializeValue } from '../../src/state/value-codec.js';
import { StateSerializationError } from '../../src/state/state-errors.js';

function circular(): Record<string, unknown> {
  const o: Record<string, unknown> = { a: 1 };
  o['o'] = o;
  return o;
}

const thrown: [string, () => unknown, RegExp][] = [
  ['a string', () => 'boom', /^boom$/],
  ['undefined', () => undefined, /^undefined$/],
  ['a symbol', () => Symbol('sym'), /^Symbol\(sym\)$/],
  ['a plain object', () => ({ code: 42 }), /^\{"code":42\}$/],
  ['a null-prototype object', () => Object.assign(Object.create(null), { code: 7 }), /^\{"code":7\}$/],
  ['an object whose toString throws', () => ({ toString: () => { throw new Error('no'); } }), /^\{\}$/],
  ['a circular object', circular, /^a thrown object$/],
  ['a class instance', () => Object.assign(new (class Order {})(), { self: null }), /^\{"self":null\}$/],
];

describe('describeError of thrown non-Errors', () => {
  for (const [what, make, expected] of thrown) {
    it(`describes ${what} on one line without throwing`, () => {
      const text = describeError(make());
      expect(text).toMatch(expected);
      expect(text).not.toContain('\n');
      expect(new UserCodeError('Sink: Out', make()).message).toBe(`Sink: Out failed: ${text}`);
    });
  }

  it('bounds the text of a large object', () => {
    const big = { items: Array.from({ length: 1000 }, (_, i) => i) };
    expect(describeError(big).length).toBeLessThanOrEqual(201);
  });
});

describe('user functions throwing non-Errors', () => {
  const run = (make: () => unknown) =>
    executeLocally(() =>
      buildJob((env) => {
        env.fromElements(1, 2, 3)
          .map((x: number) => x)
          .name('Pass')
          .addSink(() => {
            throw make();
          })
          .name('Out');
      }, []),
    );

  it('a sink throwing a null-prototype object fails the job naming the sink', async () => {
    await expect(run(() => Object.create(null))).rejects.toThrow(/^Sink: Out failed: \{\}$/);
  });

  it('a sink throwing an object whose toString throws fails the job naming the sink', async () => {
    await expect(run(() => ({ toString: () => { throw new Error('no'); } }))).rejects.toThrow(/^Sink: Out failed: \{\}$/);
  });

  it('a process function throwing a circular object fails the job naming it', async () => {
    const job = executeLocally(() =>
      buildJob((env) => {
        env.fromElements(1, 2, 3)
          .keyBy((x: number) => x)
          .process({ processElement: () => { throw circular(); } } as never)
          .name('Explode')
          .addSink(() => {});
      }, []),
    );
    await expect(job).rejects.toThrow(/^Explode failed: a thrown object$/);
  });
});

describe('state values that cannot be serialised', () => {
  it('say what and where', () => {
    const fail = (v: unknown): string => {
      try {
        serializeValue(v);
      } catch (err) {
        expect(err).toBeInstanceOf(StateSerializationError);
        return (err as Error).message;
      }
      throw new Error('serialised');
    };
    expect(fail({ list: [circular()] })).toBe('cannot serialise a state value: circular reference at value.list[0].o');
    expect(fail({ tag: Symbol('t') })).toBe('cannot serialise a state value: a symbol at value.tag (symbols cannot be serialised)');
  });
});
