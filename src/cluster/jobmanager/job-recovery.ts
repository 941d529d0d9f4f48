/**
 * How a restarted JobManager resumes one job of the HA store: the newest retained checkpoint
 * that passes validation (complete `_metadata`, every state file with its checksum) is
 * restored; newer ones that do not are deleted; older retained ones stay as further fallbacks.
 * `chk-*` directories the HA store does not name are orphans of the previous JobManager
 * (checkpoints in flight when it died, subsumed ones it had not deleted yet) and are deleted.
 * When the job had completed a checkpoint but none can be restored, the job is FAILED with one
 * line naming the checkpoint and the damage — or, opted in, starts from empty state.
 */
import type { CheckpointStorage } from '../../checkpoint/checkpoint-storage.js';
import { loadRestorePoint } from '../../checkpoint/checkpoint-storage-restore.js';
import type { TaskRestore } from '../../checkpoint/checkpoint-types.js';
import type { CompletedCheckpoint } from '../../checkpoint/completed-checkpoint-store.js';
import { decideAfterDamage } from '../../checkpoint/restore-policy.js';
import type { FlussConfig } from '../../core/config.js';
import { describeError, oneLine } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { HaCheckpointRef, RecoveredJob } from './ha-store.js';
import { checkpointsDirOf } from './job-checkpointing.js';
import { checkpointStorageOf } from '../ha/fenced-checkpoint-storage.js';
import { NO_FENCE, type LeaderFence } from '../ha/fencing.js';

/** What to do with a recovered job. */
export type RecoveryPlan =
  | {
      kind: 'run';
      /** Retained checkpoints for the job's store, oldest first (the newest is restored). */
      retained: CompletedCheckpoint[];
      /** The restore point the job was submitted with, when it never completed a checkpoint. */
      initialRestore: TaskRestore | undefined;
      checkpointedBefore: boolean;
      firstCheckpointId: number;
      /** A fallback or an empty start happened: why (logged loudly). */
      notice?: string;
    }
  /** Nothing restorable: the job is listed FAILED; `retained` stay on disk (a FAILED job keeps its checkpoints). */
  | { kind: 'fail'; cause: string; retained: CompletedCheckpoint[] };

interface Damaged {
  ref: HaCheckpointRef;
  damage: string;
}

/** A retained checkpoint of the HA store as the job's store keeps it (`_metadata` not read). */
export function completedOf(ref: HaCheckpointRef): CompletedCheckpoint {
  return { checkpointId: ref.checkpointId, timestamp: ref.timestamp ?? 0, completionTimestamp: ref.timestamp ?? 0, savepoint: false, externalPath: ref.checkpointDir };
}

/**
 * Validates the job's retained checkpoints newest first, cleans up orphans and damaged newer
 * ones, and returns the plan. Never throws for a damaged checkpoint: that is a `fail` plan.
 */
export async function planJobRecovery(job: RecoveredJob, config: FlussConfig, logger: Logger, fence: LeaderFence = NO_FENCE): Promise<RecoveryPlan> {
  const { record } = job;
  const jobId = record.jobId;
  const storage = checkpointStorageOf(fence, jobId, checkpointsDirOf(record.jobGraph, config), config['state.savepoints.dir']);
  const onDisk = await storage.checkpointIdsOnDisk();
  const firstCheckpointId = Math.max(0, record.restore?.checkpointId ?? 0, ...onDisk, ...job.retained.map((r) => r.checkpointId)) + 1;
  const optIn = record.restoreFromEmptyOnDamage === true || config['execution.checkpointing.restore-from-empty-on-damage'];

  const damaged: Damaged[] = [];
  let chosen: { ref: HaCheckpointRef; restore: TaskRestore; timestamp: number } | undefined;
  for (const ref of [...job.retained].reverse()) {
    try {
      const point = await loadRestorePoint(ref.checkpointDir, record.jobGraph, false);
      chosen = { ref, restore: point.restore, timestamp: point.metadata.timestamp };
      break;
    } catch (err) {
      damaged.push({ ref, damage: oneLine(describeError(err)) });
    }
  }

  if (!chosen && !job.checkpointedBefore) {
    // Never checkpointed: start as submitted (its savepoint was validated at submission; again now).
    if (record.restore) {
      try {
        await loadRestorePoint(record.restore.checkpointDir, record.jobGraph, record.restore.allowNonRestoredState);
      } catch (err) {
        const decision = decideAfterDamage(jobId, { checkpointId: record.restore.checkpointId, dir: record.restore.checkpointDir }, oneLine(describeError(err)), [], optIn);
        if (decision.kind === 'fail') return { kind: 'fail', cause: decision.message, retained: [] };
        await sweep(storage, new Set(), logger);
        return { kind: 'run', retained: [], initialRestore: undefined, checkpointedBefore: true, firstCheckpointId, notice: decision.message };
      }
    }
    await sweep(storage, new Set(), logger);
    return { kind: 'run', retained: [], initialRestore: record.restore, checkpointedBefore: false, firstCheckpointId };
  }

  if (!chosen) {
    const newest = damaged[0];
    if (!newest) {
      // Checkpointed before, but nothing is retained any more (an opted-in empty start happened).
      const decision = `Job ${jobId} completed checkpoints before, but the HA store retains none`;
      if (!optIn) return { kind: 'fail', cause: `${decision}; the job fails instead of starting over from empty state`, retained: [] };
      await sweep(storage, new Set(), logger);
      return { kind: 'run', retained: [], initialRestore: undefined, checkpointedBefore: true, firstCheckpointId, notice: `${decision}: starting from EMPTY STATE` };
    }
    const older = damaged.length - 1;
    const damage = older > 0 ? `${newest.damage} (and the ${older} older retained checkpoint${older > 1 ? 's' : ''} cannot be restored either)` : newest.damage;
    const decision = decideAfterDamage(jobId, { checkpointId: newest.ref.checkpointId, dir: newest.ref.checkpointDir }, damage, [], optIn);
    if (decision.kind === 'fail') {
      // The damaged checkpoints stay for inspection (a FAILED job keeps its checkpoints); orphans go.
      await sweep(storage, new Set(job.retained.map((r) => r.checkpointId)), logger);
      return { kind: 'fail', cause: decision.message, retained: job.retained.map(completedOf) };
    }
    await sweep(storage, new Set(), logger);
    return { kind: 'run', retained: [], initialRestore: undefined, checkpointedBefore: true, firstCheckpointId, notice: decision.message };
  }

  // Older retained checkpoints stay (unvalidated) as further fallbacks; newer damaged ones go.
  const kept = job.retained.filter((r) => r.checkpointId <= chosen.ref.checkpointId);
  await sweep(storage, new Set(kept.map((r) => r.checkpointId)), logger);
  const retained = kept.map(completedOf);
  const latest = retained.at(-1)!;
  latest.timestamp = chosen.timestamp;
  const newest = damaged[0];
  const notice = newest
    ? `Checkpoint ${newest.ref.checkpointId} of job ${jobId} cannot be restored: ${newest.damage}; falling back to checkpoint ${chosen.ref.checkpointId} (${chosen.ref.checkpointDir})`
    : undefined;
  return { kind: 'run', retained, initialRestore: record.restore, checkpointedBefore: true, firstCheckpointId, ...(notice ? { notice } : {}) };
}

/**
 * Deletes the job's `chk-*` directories not in `keep` and the leftovers in `.discarded` of
 * deletions the previous JobManager did not finish; logs what went.
 */
async function sweep(storage: CheckpointStorage, keep: ReadonlySet<number>, logger: Logger): Promise<void> {
  if (!storage.checkpointsDir) return;
  try {
    await storage.purgeDiscarded();
  } catch (err) {
    logger.warn({ jobId: storage.jobId, err: describeError(err) }, 'could not delete discarded checkpoint directories');
  }
  try {
    const removed = await storage.sweep(keep, Number.MAX_SAFE_INTEGER);
    if (removed.length > 0) logger.warn({ jobId: storage.jobId, removed: removed.map((id) => `chk-${id}`) }, 'deleted checkpoint directories the HA store does not name');
  } catch (err) {
    logger.warn({ jobId: storage.jobId, err: describeError(err) }, 'could not delete orphaned checkpoint directories');
  }
}
