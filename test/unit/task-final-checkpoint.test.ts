/**
 * A source at the end of its input finishes once notified of a checkpoint it took after that
 * end (its final one), however the triggers arrived: a checkpoint taken before the end never
 * ends it, even with a higher id than one taken after (a trigger that arrived late).
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointRequest } from '../../src/checkpoint/checkpoint-types.js';
import type { CheckpointBarrierEvent } from '../../src/common/stream-element.js';
import { Mailbox } from '../../src/runtime/mailbox.js';
import type { OperatorChain } from '../../src/runtime/operator-chain.js';
import type { SubtaskCheckpointCoordinator } from '../../src/runtime/subtask-checkpoint-coordinator.js';
import { TaskCheckpointing } from '../../src/runtime/task-checkpointing.js';

/** A source task's checkpointing, with what it snapshot: (checkpoint id, taken at end of input). */
function sourceTask(): { checkpointing: TaskCheckpointing; taken: [number, boolean][] } {
  const taken: [number, boolean][] = [];
  const chain = { source: undefined, notifyCheckpointComplete: async () => {}, notifyCheckpointAborted: async () => {} } as unknown as OperatorChain;
  const checkpointer = {
    checkpoint: async (barrier: CheckpointBarrierEvent, _alignmentMs: number, endOfInput: boolean) => void taken.push([barrier.checkpointId, endOfInput]),
    decline: () => {},
    abort: () => {},
  } as unknown as SubtaskCheckpointCoordinator;
  return { checkpointing: new TaskCheckpointing('src (1/1)', chain, checkpointer, new Mailbox(), undefined), taken };
}

function request(checkpointId: number): CheckpointRequest {
  return { checkpointId, timestamp: 0, savepoint: false, aligned: true, targetDir: `/cp/chk-${checkpointId}` };
}

describe('TaskCheckpointing: the final checkpoint of a source', () => {
  it('is one taken after the end of input, not a later id taken before it', async () => {
    const { checkpointing, taken } = sourceTask();
    // Checkpoint 1's trigger arrives after 2 and 3.
    await checkpointing.triggerCheckpoint(request(2));
    await checkpointing.triggerCheckpoint(request(3));
    checkpointing.awaitFinalCheckpoint();
    await checkpointing.triggerCheckpoint(request(1));
    expect(taken).toEqual([
      [2, false],
      [3, false],
      [1, true],
    ]);
    // 3 completed, but it was taken before the end: the source goes on waiting.
    checkpointing.notifyComplete(3);
    expect(checkpointing.sourceStep()).toBe('wait');
    checkpointing.notifyComplete(1);
    expect(checkpointing.sourceStep()).toBe('end');
  });

  it('is any checkpoint taken after the end when the triggers come in order', async () => {
    const { checkpointing } = sourceTask();
    await checkpointing.triggerCheckpoint(request(1));
    checkpointing.awaitFinalCheckpoint();
    expect(checkpointing.sourceStep()).toBe('wait');
    // Completed, but taken before the end.
    checkpointing.notifyComplete(1);
    expect(checkpointing.sourceStep()).toBe('wait');
    await checkpointing.triggerCheckpoint(request(2));
    await checkpointing.triggerCheckpoint(request(3));
    // 2 was not final for the job (another source had not ended): only 3 is notified.
    checkpointing.notifyComplete(3);
    expect(checkpointing.sourceStep()).toBe('end');
  });
});
