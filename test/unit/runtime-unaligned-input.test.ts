/**
 * A task's input side of an unaligned checkpoint, over a scripted gate: which records become
 * the checkpoint's input channel state (what the first barrier overtook, records read from a
 * channel before its barrier, what a later barrier overtook) and that restored channel state is
 * processed before anything the gate holds.
 */
import { describe, expect, it } from 'vitest';
import { TaskInputProcessor } from '../../src/runtime/task-input-processor.js';
import type { JobVertex } from '../../src/common/job-graph.js';
import type { GateItem, InputGate } from '../../src/network/shuffle-types.js';
import type { StreamOperator } from '../../src/runtime/stream-operator.js';
import type { CheckpointBarrierEvent, RecordBatch } from '../../src/common/stream-element.js';

const batch = (...values: unknown[]): RecordBatch => ({ kind: 'records', values, timestamps: null });
const barrier: CheckpointBarrierEvent = { kind: 'barrier', checkpointId: 1, timestamp: 1, savepoint: false, aligned: true, unaligned: true, targetDir: '/x' };

/** A gate whose items are scripted: `normal` in order, `priority` ahead of them. */
class ScriptedGate {
  readonly numberOfChannels = 2;
  normal: GateItem[] = [];
  priority: GateItem[] = [];
  pollNext = () => this.normal.shift();
  pollPriority = () => this.priority.shift();
  whenAvailable = () => Promise.resolve();
  whenPriorityAvailable = () => Promise.resolve();
  blockChannel = () => undefined;
  unblockChannel = () => undefined;
  isFinished = () => false;
  close = () => undefined;
}

function setup() {
  const seen: unknown[] = [];
  const op = { processElement: (v: unknown) => seen.push(v), processWatermark: () => undefined, endInput: () => undefined } as unknown as StreamOperator;
  const vertex = { name: 'v', inputs: [{ targetOperatorIndex: 0, targetInput: 0 }] } as unknown as JobVertex;
  const gate = new ScriptedGate();
  const inputs = new TaskInputProcessor(vertex, [gate as unknown as InputGate], [op]);
  return { gate, inputs, seen };
}

describe('TaskInputProcessor with unaligned barriers', () => {
  it('collects the in-flight records of every channel until its barrier, and processes them too', async () => {
    const { gate, inputs, seen } = setup();
    gate.normal.push({ channel: 0, item: batch('a0') });
    gate.priority.push({ channel: 1, item: barrier, overtaken: [batch('b1')] });
    // The first barrier jumps ahead of everything: the slice ends for the snapshot.
    expect(inputs.processSlice(100, () => false)).toBe(1);
    const cp = inputs.takeAlignedCheckpoint()!;
    expect(cp.unaligned).toBe(true);
    expect(seen).toEqual([]);
    // Records of channel 0, whose barrier is still to come, are in flight; channel 1's are not.
    gate.normal.push({ channel: 1, item: batch('b2') });
    inputs.processSlice(100, () => false);
    expect(seen).toEqual(['a0', 'b2']);
    gate.priority.push({ channel: 0, item: barrier, overtaken: [batch('a1')] });
    inputs.processSlice(100, () => false);
    const content = await cp.channelState!.done;
    expect(content.inputs).toEqual([
      { channel: 1, batches: [batch('b1')] },
      { channel: 0, batches: [batch('a0'), batch('a1')] },
    ]);
    expect(content.outputs).toEqual([]);
  });

  it('an abort from the coordinator drops the channel state', async () => {
    const { gate, inputs } = setup();
    gate.priority.push({ channel: 1, item: barrier, overtaken: [] });
    inputs.processSlice(100, () => false);
    const cp = inputs.takeAlignedCheckpoint()!;
    inputs.abortCheckpoint(1, 'expired');
    await expect(cp.channelState!.done).rejects.toThrow(/expired/);
  });

  it('replays restored input channel state before reading the gate, barriers included', () => {
    const { gate, inputs, seen } = setup();
    inputs.replayChannelState([{ channel: 1, batches: [batch('r1', 'r2')] }, { channel: 0, batches: [batch('r0')] }]);
    gate.priority.push({ channel: 1, item: barrier, overtaken: [] });
    gate.normal.push({ channel: 0, item: batch('new') });
    inputs.processSlice(100, () => false);
    expect(seen.slice(0, 3)).toEqual(['r1', 'r2', 'r0']);
    expect(inputs.takeAlignedCheckpoint()).toBeUndefined();
  });
});
