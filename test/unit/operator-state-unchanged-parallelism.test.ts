/**
 * Operator list state restored at an unchanged parallelism stays with its subtask (Flink's
 * round-robin repartitioner only redistributes on rescale): an async I/O operator's in-flight
 * records moved to another subtask would overtake or trail that subtask's later records of the
 * same key. Union and broadcast state are unaffected.
 */
import { describe, expect, it } from 'vitest';
import { redistributeOperatorState } from '../../src/checkpoint/task-state-assignment.js';

describe('operator list state at an unchanged parallelism', () => {
  const old = [
    { s: { mode: 'split' as const, items: ['a', 'b', 'c'] }, u: { mode: 'union' as const, items: [1] }, b: { mode: 'broadcast' as const, items: [['k', 1]] } },
    { s: { mode: 'split' as const, items: ['d', 'e'] }, u: { mode: 'union' as const, items: [2] }, b: { mode: 'broadcast' as const, items: [['k', 1]] } },
  ];

  it('gives every subtask back its own split lists, union and broadcast state as on rescale', () => {
    expect(redistributeOperatorState(old, 0, 2, { own: old[0] })).toEqual({
      s: { mode: 'split', items: ['a', 'b', 'c'] },
      u: { mode: 'union', items: [1, 2] },
      b: { mode: 'broadcast', items: [['k', 1]] },
    });
    expect(redistributeOperatorState(old, 1, 2, { own: old[1] }).s!.items).toEqual(['d', 'e']);
    // A subtask that stored no operator state gets no split items.
    expect(redistributeOperatorState(old, 1, 2, { own: undefined }).s!.items).toEqual([]);
  });

  it('still redistributes round-robin on rescale', () => {
    expect(redistributeOperatorState(old, 0, 2).s!.items).toEqual(['a', 'c', 'e']);
  });
});
