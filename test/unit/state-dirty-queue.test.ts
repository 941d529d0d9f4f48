import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../src/state/leveldb-cache-entry.js';
import { DirtyQueue } from '../../src/state/leveldb-dirty-queue.js';

// The queue's contract with the cache: dirty entries come out oldest first (in the order they
// were queued), each once; entries that turned clean meanwhile never come out; an entry still
// holding a slot is not queued twice. The model is a plain array of slots.

type Fake = { id: number; dirty: boolean; queued: boolean };
const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('dirty' as const), id: fc.nat(4999) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('clean' as const), id: fc.nat(4999) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('shift' as const), id: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cleaned' as const), id: fc.constant(0) }) },
);

describe('dirty queue', () => {
  it('hands out the dirty entries oldest first, each once, whatever turned clean or dirty again meanwhile', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 6000, maxLength: 12_000 }), (ops) => {
        const q = new DirtyQueue();
        const entries = new Map<number, Fake>();
        let slots: Fake[] = [];
        let dirty = 0;
        const takeHead = (): Fake => {
          const e = slots.shift()!;
          e.queued = false;
          return e;
        };
        for (const { op, id } of ops) {
          const e = entries.get(id) ?? { id, dirty: false, queued: false };
          entries.set(id, e);
          if (op === 'dirty' && !e.dirty) {
            e.dirty = true;
            dirty++;
            q.dirtyCount++;
            if (!e.queued) slots.push(e);
            q.push(e as unknown as CacheEntry);
          } else if (op === 'clean' && e.dirty) {
            e.dirty = false;
            dirty--;
            q.dirtyCount--;
          } else if (op === 'shift') {
            let want: Fake | undefined;
            while (slots.length > 0 && want === undefined) {
              const h = slots[0]!;
              slots.shift();
              if (h.dirty) want = h;
            }
            // The model's own bookkeeping of `queued` is the queue's: compare ids only.
            const got = q.shift() as unknown as Fake | undefined;
            expect(got?.id).toBe(want?.id);
            if (got) {
              got.dirty = false;
              dirty--;
              q.dirtyCount--;
            }
          } else if (op === 'cleaned') {
            while (slots.length > 0 && !slots[0]!.dirty) takeHead();
            if (slots.length > 2 * dirty + 4096) slots = slots.filter((s) => s.dirty || ((s.queued = false), false));
            q.cleaned();
          }
        }
        const expected = slots.filter((s) => s.dirty).map((s) => s.id);
        const rest: number[] = [];
        for (let e = q.shift() as unknown as Fake | undefined; e !== undefined; e = q.shift() as unknown as Fake | undefined) {
          rest.push(e.id);
          e.dirty = false;
          q.dirtyCount--;
        }
        expect(rest).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});
