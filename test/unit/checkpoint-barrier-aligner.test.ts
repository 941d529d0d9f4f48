import { describe, expect, it } from 'vitest';
import { BarrierAligner } from '../../src/runtime/barrier-aligner.js';
import type { CheckpointBarrierEvent } from '../../src/common/stream-element.js';

function barrier(checkpointId: number, aligned = true): CheckpointBarrierEvent {
  return { kind: 'barrier', checkpointId, timestamp: 1, savepoint: false, aligned, targetDir: '/tmp/x' };
}

function setup(channels: number) {
  const blocked = new Set<number>();
  const log: string[] = [];
  let now = 100;
  const aligner = new BarrierAligner(
    channels,
    {
      block: (c) => {
        blocked.add(c);
        log.push(`block ${c}`);
      },
      unblock: (c) => {
        blocked.delete(c);
        log.push(`unblock ${c}`);
      },
    },
    () => now,
  );
  return { aligner, blocked, log, advance: (ms: number) => (now += ms) };
}

describe('BarrierAligner', () => {
  it('exactly-once: blocks each channel after its barrier until all arrived, then releases all', () => {
    const { aligner, blocked, advance } = setup(3);
    expect(aligner.onBarrier(1, barrier(1))).toEqual({});
    expect([...blocked]).toEqual([1]);
    advance(5);
    expect(aligner.onBarrier(0, barrier(1))).toEqual({});
    expect([...blocked].sort()).toEqual([0, 1]);
    expect(aligner.pendingCheckpointId).toBe(1);
    advance(7);
    const out = aligner.onBarrier(2, barrier(1));
    expect(out.aligned?.barrier.checkpointId).toBe(1);
    expect(out.aligned?.alignmentMs).toBe(12);
    expect(out.aborted).toBeUndefined();
    expect(blocked.size).toBe(0);
    expect(aligner.pendingCheckpointId).toBeUndefined();
    // A late duplicate of an aligned checkpoint changes nothing.
    expect(aligner.onBarrier(0, barrier(1))).toEqual({});
    expect(blocked.size).toBe(0);
  });

  it('a single channel aligns at its barrier', () => {
    const { aligner, blocked } = setup(1);
    expect(aligner.onBarrier(0, barrier(4)).aligned?.barrier.checkpointId).toBe(4);
    expect(blocked.size).toBe(0);
  });

  it('at-least-once: never blocks, snapshots when the last barrier arrives', () => {
    const { aligner, log } = setup(2);
    expect(aligner.onBarrier(0, barrier(1, false))).toEqual({});
    expect(aligner.isBlocked(0)).toBe(false);
    expect(aligner.onBarrier(1, barrier(1, false)).aligned?.barrier.aligned).toBe(false);
    expect(log).toEqual([]);
  });

  it('a newer barrier supersedes and aborts the pending checkpoint', () => {
    const { aligner, blocked } = setup(2);
    aligner.onBarrier(0, barrier(1));
    const out = aligner.onBarrier(1, barrier(2));
    expect(out.aborted).toEqual({ checkpointId: 1, reason: 'superseded by checkpoint 2' });
    expect(out.aligned).toBeUndefined();
    expect([...blocked]).toEqual([1]);
    // Barrier 1 arriving late on channel 1 is ignored; barrier 2 on channel 0 completes 2.
    expect(aligner.onBarrier(1, barrier(1))).toEqual({});
    expect(aligner.onBarrier(0, barrier(2)).aligned?.barrier.checkpointId).toBe(2);
    expect(blocked.size).toBe(0);
  });

  it('a cancellation marker and an abort give the pending checkpoint up and unblock', () => {
    const { aligner, blocked } = setup(2);
    aligner.onBarrier(0, barrier(3));
    expect(aligner.onCancelCheckpoint(3).aborted?.checkpointId).toBe(3);
    expect(blocked.size).toBe(0);
    expect(aligner.onBarrier(1, barrier(3))).toEqual({});
    expect(blocked.size).toBe(0);

    aligner.onBarrier(1, barrier(4));
    expect(aligner.abort(4, 'expired')).toEqual({ checkpointId: 4, reason: 'expired' });
    expect(blocked.size).toBe(0);
    expect(aligner.onBarrier(0, barrier(4))).toEqual({});
    // A cancellation of a checkpoint never seen here drops its later barriers.
    expect(aligner.onCancelCheckpoint(5).aborted?.checkpointId).toBe(5);
    expect(aligner.onBarrier(0, barrier(5))).toEqual({});
    expect(aligner.pendingCheckpointId).toBeUndefined();
  });

  it('end-of-partition during alignment counts as arrived; finished channels count for later checkpoints', () => {
    const { aligner, blocked } = setup(3);
    aligner.onBarrier(0, barrier(1));
    aligner.onBarrier(1, barrier(1));
    const out = aligner.onEndOfPartition(2);
    expect(out.aligned?.barrier.checkpointId).toBe(1);
    expect(blocked.size).toBe(0);
    aligner.onBarrier(1, barrier(2));
    expect(aligner.onBarrier(0, barrier(2)).aligned?.barrier.checkpointId).toBe(2);
    expect(aligner.onEndOfPartition(0)).toEqual({});
  });
});
