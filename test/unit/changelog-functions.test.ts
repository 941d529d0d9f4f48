import { describe, expect, it } from 'vitest';
import { applyChangelog, DeduplicateFunction, GroupAggregateFunction, TopNFunction } from '../../src/api/changelog/index.js';
import { OperatorTestHarness } from '../../src/api/testing/operator-test-harness.js';

interface Bid {
  auction: number;
  price: number;
  t: number;
}

describe('changelog operators', () => {
  it('GroupAggregateFunction emits +I, then -U/+U per update, and skips unchanged results', async () => {
    const fn = new GroupAggregateFunction<number, Bid, { n: number; max: number }, { auction: number; max: number }>({
      createAccumulator: () => ({ n: 0, max: -1 }),
      add: (b, acc) => ({ n: acc.n + 1, max: Math.max(acc.max, b.price) }),
      getResult: (acc, auction) => ({ auction, max: acc.max }),
    });
    const h = await OperatorTestHarness.forKeyedProcessFunction(fn, (b: Bid) => b.auction, { stateBackend: 'leveldb' });
    for (const [auction, price] of [[1, 5], [1, 3], [2, 1], [1, 9]] as const) h.processElement({ auction, price, t: 0 });
    expect(h.extractOutputValues()).toEqual([
      { kind: '+I', row: { auction: 1, max: 5 } },
      { kind: '+I', row: { auction: 2, max: 1 } },
      { kind: '-U', row: { auction: 1, max: 5 } },
      { kind: '+U', row: { auction: 1, max: 9 } },
    ]);
    expect(applyChangelog(h.extractOutputValues())).toEqual([{ auction: 2, max: 1 }, { auction: 1, max: 9 }]);
    await h.close();
  });

  it('DeduplicateFunction keeps the last row by time (ties: the later arrival) or the first', async () => {
    const last = await OperatorTestHarness.forKeyedProcessFunction(new DeduplicateFunction<number, Bid>('last', (b) => b.t), (b: Bid) => b.auction);
    const first = await OperatorTestHarness.forKeyedProcessFunction(new DeduplicateFunction<number, Bid>('first', (b) => b.t), (b: Bid) => b.auction);
    const rows: Bid[] = [{ auction: 1, price: 1, t: 10 }, { auction: 1, price: 2, t: 5 }, { auction: 1, price: 3, t: 10 }, { auction: 1, price: 4, t: 3 }];
    for (const r of rows) {
      last.processElement(r);
      first.processElement(r);
    }
    expect(applyChangelog(last.extractOutputValues())).toEqual([{ auction: 1, price: 3, t: 10 }]);
    expect(last.extractOutputValues().map((c) => c.kind)).toEqual(['+I', '-U', '+U']);
    expect(applyChangelog(first.extractOutputValues())).toEqual([{ auction: 1, price: 4, t: 3 }]);
    await last.close();
    await first.close();
  });

  it('TopNFunction keeps the N best rows per key with their ranks', async () => {
    const h = await OperatorTestHarness.forKeyedProcessFunction(new TopNFunction<number, Bid>(3, (a, b) => b.price - a.price), (b: Bid) => b.auction, { stateBackend: 'leveldb' });
    const prices = [5, 1, 7, 3, 7, 2, 9];
    prices.forEach((price, t) => h.processElement({ auction: 1, price, t }));
    h.processElement({ auction: 2, price: 4, t: 99 });
    const final = applyChangelog(h.extractOutputValues())
      .map((r) => [r.row.auction, r.rank, r.row.price, r.row.t])
      .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    // Ties keep arrival order: the 7 of t=2 ranks above the 7 of t=4.
    expect(final).toEqual([[1, 1, 9, 6], [1, 2, 7, 2], [1, 3, 7, 4], [2, 1, 4, 99]]);
    // A row below the full top N changes nothing.
    h.clearOutput();
    h.processElement({ auction: 1, price: 1, t: 100 });
    expect(h.extractOutputValues()).toEqual([]);
    expect(() => new TopNFunction(0, () => 0)).toThrow('N must be a positive integer');
    await h.close();
  });
});
