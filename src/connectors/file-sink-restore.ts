/**
 * What a FileSink writer does to the sink directory when its subtask starts: on restore it
 * commits the restored pending files and discards what failed or rolled-back attempts left
 * (see the rules in file-sink.ts); on a fresh start of a later attempt it warns when earlier
 * attempts committed files. Part files in bucket sub-directories count as in the base directory.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { attemptOf, commitPartFile, listPartFiles, type PendingPartFile } from './file-sink-parts.js';

/**
 * Commits `restoredPending` (idempotently), then deletes: in-progress files of writers named in
 * the restored state or of earlier attempts of this job; committed files a restored writer made
 * from its recorded next part index on; committed files of attempts of this job after the
 * restored ones (and before `uuid`'s). `restoredWriters` maps uuids to their next part index
 * (undefined in state written before it was recorded).
 */
export async function restoreSinkDirectory(
  dir: string,
  uuid: string,
  restoredPending: readonly PendingPartFile[],
  restoredWriters: ReadonlyMap<string, number | undefined>,
): Promise<void> {
  for (const f of restoredPending) await commitPartFile(dir, f.file, f.target);
  const keep = new Set(restoredPending.flatMap((f) => [f.file, f.target]));
  const job = uuid.slice(0, 8);
  const attempt = attemptOf(uuid);
  // The newest attempt of this job named in the restored state: later ones ran after the checkpoint.
  let restoredAttempt = -1;
  for (const w of restoredWriters.keys()) if (w.startsWith(job)) restoredAttempt = Math.max(restoredAttempt, attemptOf(w));
  for (const f of await listPartFiles(dir)) {
    if (keep.has(f.path)) continue;
    const ownJob = f.job === job;
    let discard: boolean;
    if (f.hidden) {
      discard = restoredWriters.has(f.uuid) || (ownJob && f.attempt < attempt);
    } else if (restoredWriters.has(f.uuid)) {
      // Committed after the restored checkpoint by the writer that took it.
      const nextPart = restoredWriters.get(f.uuid);
      discard = ownJob && nextPart !== undefined && f.part >= nextPart;
    } else {
      // Committed by an attempt of this job that started after the restored checkpoint.
      discard = ownJob && restoredAttempt >= 0 && f.attempt > restoredAttempt && f.attempt < attempt;
    }
    if (discard) await rm(join(dir, f.path), { force: true });
  }
}

/**
 * A later attempt of the job starting without state while earlier attempts committed part
 * files: the job did not restore a checkpoint (it started over from empty state, opted in),
 * so what they committed is not rolled back and may be written again. Said loudly, once per
 * writer (subtask 0 only, the files are shared).
 */
export async function warnIfStartedOverAfterCommits(dir: string, uuid: string, subtask: number, jobId: string): Promise<void> {
  const attempt = attemptOf(uuid);
  if (attempt === 0 || subtask !== 0) return;
  const job = uuid.slice(0, 8);
  let earlier: number;
  try {
    earlier = (await listPartFiles(dir)).filter((f) => !f.hidden && f.job === job && f.attempt < attempt).length;
  } catch {
    return;
  }
  if (earlier === 0) return;
  process.emitWarning(
    `FileSink of job ${jobId || job} restarted WITHOUT STATE (attempt ${attempt}): no checkpoint was restored, so the ${earlier} part files earlier attempts committed to ${dir} stay and records in them may be written again`,
    { type: 'FlussWarning', code: 'FLUSS_SINK_RESTARTED_WITHOUT_STATE' },
  );
}
