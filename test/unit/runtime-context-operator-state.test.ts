import { describe, expect, it } from 'vitest';
import { ListStateDescriptor } from '../../src/common/state-descriptors.js';
import { redistributeOperatorState } from '../../src/checkpoint/task-state-assignment.js';
import { StreamingRuntimeContext } from '../../src/runtime/streaming-runtime-context.js';
import { OperatorStateStore } from '../../src/state/operator-state-store.js';

function sinkContext(subtaskIndex: number, parallelism: number, store: OperatorStateStore): StreamingRuntimeContext {
  const info = { taskName: 'Sink', subtaskIndex, parallelism, maxParallelism: 128, attemptNumber: 0, jobId: 'ab'.repeat(16) };
  return new StreamingRuntimeContext(info, 'Sink: BufferSink', undefined, store);
}

describe('getRuntimeContext().getListState on an operator without a key', () => {
  it('is the operator list state: snapshotted, restored, and dealt round-robin at another parallelism', () => {
    // Two old subtasks buffer what they received.
    const old = [0, 1].map((i) => {
      const store = new OperatorStateStore('Sink: BufferSink');
      const buffered = sinkContext(i, 2, store).getListState(new ListStateDescriptor<string>('buffered'));
      for (let j = 0; j < (i === 0 ? 4 : 3); j++) buffered.add(`s${i}-${j}`);
      return store.snapshot();
    });
    expect(old[0]).toEqual({ buffered: { mode: 'split', items: ['s0-0', 's0-1', 's0-2', 's0-3'] } });

    // Restored at parallelism 3: element j of the concatenated lists goes to subtask j % 3.
    const restored = [0, 1, 2].map((i) => {
      const store = new OperatorStateStore('Sink: BufferSink');
      store.restore(redistributeOperatorState(old, i, 3));
      const ctx = sinkContext(i, 3, store);
      // The same state under Flink's explicit name.
      expect([...ctx.getOperatorListState(new ListStateDescriptor<string>('buffered')).get()]).toEqual([...ctx.getListState(new ListStateDescriptor<string>('buffered')).get()]);
      return [...ctx.getListState(new ListStateDescriptor<string>('buffered')).get()];
    });
    expect(restored).toEqual([
      ['s0-0', 's0-3', 's1-2'],
      ['s0-1', 's1-0'],
      ['s0-2', 's1-1'],
    ]);
  });

  it('keeps value state keyed-only, with the one-line error', () => {
    const ctx = sinkContext(0, 1, new OperatorStateStore('Sink: BufferSink'));
    expect(() => ctx.getState({ name: 'count', kind: 'value' } as never)).toThrow(
      'Sink: BufferSink: keyed state "count" is only available on a keyed stream (apply keyBy() before this operator)',
    );
  });
});
