/**
 * What a restarted JobManager needs to resume its jobs, kept in `high-availability.storageDir`
 * (bundles are already there, under `blobs/`, see blob-store.ts):
 *
 * ```
 * <ha>/jobs/<jobId>.json          job graph, bundle hash, program args, initial restore point
 * <ha>/checkpoints/<jobId>.json   pointer to the job's latest completed checkpoint
 * <ha>/attempts/<jobId>.json      the highest execution attempt deployed so far
 * ```
 *
 * A job is written when it is accepted and removed once it is globally terminal (FINISHED,
 * FAILED, CANCELED); a JobManager that merely stops leaves it, so the next one resumes it from
 * its latest checkpoint. Every file is written atomically (temp file + fsync + rename).
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../checkpoint/checkpoint-storage.js';
import type { TaskRestore } from '../../checkpoint/checkpoint-types.js';
import { isId } from '../../core/ids.js';
import type { JobGraph } from '../../graph/job-graph.js';

/** A job as the HA store keeps it. */
export interface HaJobRecord {
  jobId: string;
  jobGraph: JobGraph;
  bundleHash: string;
  programArgs: string[];
  /** The checkpoint or savepoint the job was submitted with. */
  restore?: TaskRestore;
  submittedAt: number;
}

/** The pointer to a job's latest completed checkpoint. */
export interface HaCheckpointPointer {
  checkpointId: number;
  checkpointDir: string;
}

/** A job to resume: its record and where to restore from. */
export interface RecoveredJob {
  record: HaJobRecord;
  restore?: TaskRestore;
  /** The first attempt the resumed job deploys: above every attempt deployed before. */
  nextAttempt: number;
}

/** The kinds of per-job files, each in its own directory below the HA storage dir. */
const KINDS = { job: 'jobs', checkpoint: 'checkpoints', attempt: 'attempts' } as const;
type Kind = keyof typeof KINDS;

/** Jobs and checkpoint pointers on the HA storage dir; a no-op without one. */
export class HaStore {
  constructor(private readonly storageDir: string | undefined) {}

  /** True when `high-availability.storageDir` is configured. */
  get enabled(): boolean {
    return this.storageDir !== undefined;
  }

  private file(root: string, kind: Kind, jobId: string): string {
    return join(root, KINDS[kind], `${jobId}.json`);
  }

  /** Writes one per-job file atomically (no-op without a storage dir). */
  private async put(kind: Kind, jobId: string, value: unknown): Promise<void> {
    if (!this.storageDir) return;
    await mkdir(join(this.storageDir, KINDS[kind]), { recursive: true });
    await writeFileAtomically(this.file(this.storageDir, kind, jobId), JSON.stringify(value));
  }

  /** One per-job file parsed, or undefined when it does not exist (or does not parse). */
  private async read<T>(root: string, kind: Kind, jobId: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file(root, kind, jobId), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Records an accepted job. */
  putJob(record: HaJobRecord): Promise<void> {
    return this.put('job', record.jobId, record);
  }

  /** Records the job's latest completed checkpoint. */
  putLatestCheckpoint(jobId: string, pointer: HaCheckpointPointer): Promise<void> {
    return this.put('checkpoint', jobId, pointer);
  }

  /** Records the highest execution attempt of the job about to be deployed. */
  putAttempt(jobId: string, attempt: number): Promise<void> {
    return this.put('attempt', jobId, { attempt });
  }

  /** Forgets a globally terminal job. */
  async removeJob(jobId: string): Promise<void> {
    const root = this.storageDir;
    if (!root) return;
    for (const kind of Object.keys(KINDS) as Kind[]) await rm(this.file(root, kind, jobId), { force: true });
  }

  /** Every stored job with its restore point (latest checkpoint, else its initial restore). */
  async recoverJobs(): Promise<RecoveredJob[]> {
    const root = this.storageDir;
    if (!root) return [];
    let names: string[];
    try {
      names = await readdir(join(root, KINDS.job));
    } catch {
      return [];
    }
    const out: RecoveredJob[] = [];
    for (const name of names.sort()) {
      const jobId = name.replace(/\.json$/, '');
      if (!name.endsWith('.json') || !isId(jobId)) continue;
      // A job file that does not parse fails the recovery of the job, as it always did.
      const record = JSON.parse(await readFile(this.file(root, 'job', jobId), 'utf8')) as HaJobRecord;
      // No pointer: no checkpoint completed yet, start as submitted.
      const pointer = await this.read<HaCheckpointPointer>(root, 'checkpoint', jobId);
      const restore = pointer ? { checkpointDir: pointer.checkpointDir, checkpointId: pointer.checkpointId, allowNonRestoredState: false } : record.restore;
      // Never deployed (or recorded by a version without attempts): start at 0.
      const attempt = (await this.read<{ attempt: number }>(root, 'attempt', jobId))?.attempt;
      const nextAttempt = Number.isInteger(attempt) && attempt! >= 0 ? attempt! + 1 : 0;
      out.push({ record, restore, nextAttempt });
    }
    return out;
  }
}
