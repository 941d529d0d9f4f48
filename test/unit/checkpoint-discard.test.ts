/**
 * Discarding checkpoints is atomic as seen from the job's directory: a `chk-<n>` is renamed into
 * `.discarded` in one step and deleted in the background, so it never shows up half deleted or
 * while being deleted; the coordinator starts no new checkpoint before aborted and subsumed ones
 * left the job's `chk-*`; leftovers of `.discarded` go when the job ends or is recovered.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStorage, DISCARDED_DIR } from '../../src/checkpoint/checkpoint-storage.js';
import { ackAll, flush, setup } from './checkpoint-coordinator-doubles.js';

const JOB = 'b'.repeat(32);
const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

async function storageWith(ids: number[], files: number): Promise<{ storage: CheckpointStorage; jobDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'fluss-discard-'));
  roots.push(root);
  const storage = new CheckpointStorage(JOB, root, undefined);
  for (const id of ids) {
    const dir = await storage.initCheckpointDir(id);
    for (let i = 0; i < files; i++) writeFileSync(join(dir, `op-${i}-keyed`), 'x');
  }
  return { storage, jobDir: storage.jobCheckpointsDir };
}

describe('discarding a checkpoint directory', () => {
  it('never shows a chk-* half deleted: one rename takes it out, the deletion runs in the background', async () => {
    const FILES = 3_000;
    const { storage, jobDir } = await storageWith([4, 5], FILES);
    // Looks at the job's directory between every two steps of the deletion.
    const partial: string[] = [];
    let looking = true;
    const look = (): void => {
      if (!looking) return;
      for (const name of readdirSync(jobDir).filter((n) => /^chk-\d+$/.test(n))) {
        let n: number;
        try {
          n = readdirSync(join(jobDir, name)).length;
        } catch {
          continue; // renamed between the two listings
        }
        if (n !== FILES) partial.push(`${name} with ${n} files`);
      }
      setImmediate(look);
    };
    look();
    await storage.discard(join(jobDir, 'chk-4'));
    // Gone from the job's checkpoints as soon as discard() resolved.
    expect(await storage.checkpointIdsOnDisk()).toEqual([5]);
    await storage.whenDeleted();
    looking = false;
    expect(partial.slice(0, 3)).toEqual([]);
    expect(readdirSync(join(jobDir, DISCARDED_DIR))).toEqual([]);
    // The retained neighbour is untouched.
    expect(readdirSync(join(jobDir, 'chk-5')).length).toBe(FILES);
  });

  it('discarding a directory already gone is no error; sweeping renames every orphan aside', async () => {
    const { storage, jobDir } = await storageWith([1, 2, 3, 7], 2);
    await storage.discard(join(jobDir, 'chk-9'));
    expect(await storage.sweep(new Set([3]), 5)).toEqual([1, 2]);
    expect(await storage.checkpointIdsOnDisk()).toEqual([3, 7]);
    await storage.whenDeleted();
    expect(readdirSync(join(jobDir, DISCARDED_DIR))).toEqual([]);
  });

  it('leftovers in .discarded (a JobManager died while deleting) are purged, and the empty job directory removed', async () => {
    const { storage, jobDir } = await storageWith([3], 2);
    mkdirSync(join(jobDir, DISCARDED_DIR, 'chk-2-0123456789ab'), { recursive: true });
    writeFileSync(join(jobDir, DISCARDED_DIR, 'chk-2-0123456789ab', 'op-0-keyed'), 'x');
    await storage.purgeDiscarded();
    expect(existsSync(join(jobDir, DISCARDED_DIR))).toBe(false);
    expect(await storage.checkpointIdsOnDisk()).toEqual([3]);
    await storage.discard(join(jobDir, 'chk-3'));
    await storage.removeJobDirIfEmpty();
    expect(existsSync(jobDir)).toBe(false);
  });
});

describe('the coordinator and discarded checkpoints', () => {
  it('starts the next attempt\'s first checkpoint only after the aborted one of the failed attempt left chk-*', async () => {
    const { coordinator, storage } = setup({}, 2);
    const first = coordinator.triggerCheckpoint();
    first.catch(() => {});
    await flush();
    expect(storage.checkpointIds()).toEqual([1]);
    // Discarding is slow (a large directory on a loaded disk).
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const discard = storage.discard.bind(storage);
    storage.discard = async (dir) => {
      await gate;
      await discard(dir);
    };
    coordinator.abortPendingCheckpoints('Job failover: TaskManager lost');
    await expect(first).rejects.toThrow();
    const second = coordinator.triggerCheckpoint();
    await flush();
    expect(storage.checkpointIds(), 'no new directory while the aborted one is still there').toEqual([1]);
    release();
    await flush();
    await flush();
    expect(storage.checkpointIds()).toEqual([2]);
    await ackAll(coordinator, 2);
    await second;
  });

  it('a periodic checkpoint due while the HA store records the latest waits until the subsumed one left chk-*', async () => {
    let recording: Promise<void> = Promise.resolve();
    const { coordinator, storage, scheduler } = setup({ intervalMs: 100 }, 1, () => recording);
    coordinator.startCheckpointScheduler();
    await scheduler.advance(100);
    await ackAll(coordinator, 1);
    await flush();
    expect(storage.checkpointIds()).toEqual([1]);
    let release!: () => void;
    recording = new Promise<void>((r) => (release = r));
    await scheduler.advance(100);
    const completing = ackAll(coordinator, 2);
    await flush();
    // Checkpoint 2 is written, the HA store still records it; the next one falls due.
    await scheduler.advance(100);
    await scheduler.advance(100);
    expect(storage.checkpointIds().length, `chk-* while checkpoint 2 is recorded: ${storage.checkpointIds().join(' ')}`).toBeLessThanOrEqual(2);
    expect(storage.checkpointIds()).toEqual([1, 2]);
    release();
    await completing;
    await flush();
    await flush();
    expect(storage.checkpointIds()).toEqual([2, 3]);
    coordinator.shutdown();
  });

  it('never discards a retained checkpoint, even when asked to drop it without being the one named', async () => {
    const { coordinator, storage } = setup({}, 2);
    for (const id of [1, 2]) {
      const p = coordinator.triggerCheckpoint();
      await flush();
      await ackAll(coordinator, id);
      await p;
    }
    expect(coordinator.dropCheckpoint(7, true)).toBeUndefined();
    await coordinator.collectOrphans(Number.MAX_SAFE_INTEGER);
    expect(storage.checkpointIds()).toEqual([1, 2]);
  });

  it('after a restart the first checkpoint is triggered at once, not one interval later, and the min pause still holds', async () => {
    const { coordinator, gateway, scheduler } = setup({ intervalMs: 10_000, minPauseMs: 300 });
    coordinator.startCheckpointScheduler(0);
    await scheduler.advance(0);
    expect(new Set(gateway.triggers.map((t) => t.request.checkpointId))).toEqual(new Set([1]));
    await ackAll(coordinator, 1);
    await flush();
    coordinator.abortPendingCheckpoints('Job failover');
    coordinator.startCheckpointScheduler(0);
    await scheduler.advance(299);
    expect(gateway.triggers.some((t) => t.request.checkpointId === 2)).toBe(false);
    await scheduler.advance(1);
    expect(gateway.triggers.some((t) => t.request.checkpointId === 2)).toBe(true);
    coordinator.shutdown();
  });
});
