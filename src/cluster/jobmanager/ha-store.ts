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

/** Jobs and checkpoint pointers on the HA storage dir; a no-op without one. */
export class HaStore {
  private readonly jobsDir: string | undefined;
  private readonly pointersDir: string | undefined;
  private readonly attemptsDir: string | undefined;

  constructor(storageDir: string | undefined) {
    this.jobsDir = storageDir ? join(storageDir, 'jobs') : undefined;
    this.pointersDir = storageDir ? join(storageDir, 'checkpoints') : undefined;
    this.attemptsDir = storageDir ? join(storageDir, 'attempts') : undefined;
  }

  /** True when `high-availability.storageDir` is configured. */
  get enabled(): boolean {
    return this.jobsDir !== undefined;
  }

  /** Records an accepted job. */
  async putJob(record: HaJobRecord): Promise<void> {
    if (!this.jobsDir) return;
    await mkdir(this.jobsDir, { recursive: true });
    await writeFileAtomically(join(this.jobsDir, `${record.jobId}.json`), JSON.stringify(record));
  }

  /** Records the job's latest completed checkpoint. */
  async putLatestCheckpoint(jobId: string, pointer: HaCheckpointPointer): Promise<void> {
    if (!this.pointersDir) return;
    await mkdir(this.pointersDir, { recursive: true });
    await writeFileAtomically(join(this.pointersDir, `${jobId}.json`), JSON.stringify(pointer));
  }

  /** Records the highest execution attempt of the job about to be deployed. */
  async putAttempt(jobId: string, attempt: number): Promise<void> {
    if (!this.attemptsDir) return;
    await mkdir(this.attemptsDir, { recursive: true });
    await writeFileAtomically(join(this.attemptsDir, `${jobId}.json`), JSON.stringify({ attempt }));
  }

  /** Forgets a globally terminal job. */
  async removeJob(jobId: string): Promise<void> {
    if (!this.jobsDir || !this.pointersDir || !this.attemptsDir) return;
    await rm(join(this.jobsDir, `${jobId}.json`), { force: true });
    await rm(join(this.pointersDir, `${jobId}.json`), { force: true });
    await rm(join(this.attemptsDir, `${jobId}.json`), { force: true });
  }

  /** Every stored job with its restore point (latest checkpoint, else its initial restore). */
  async recoverJobs(): Promise<RecoveredJob[]> {
    if (!this.jobsDir || !this.pointersDir || !this.attemptsDir) return [];
    let names: string[];
    try {
      names = await readdir(this.jobsDir);
    } catch {
      return [];
    }
    const out: RecoveredJob[] = [];
    for (const name of names.sort()) {
      const jobId = name.replace(/\.json$/, '');
      if (!name.endsWith('.json') || !isId(jobId)) continue;
      const record = JSON.parse(await readFile(join(this.jobsDir, name), 'utf8')) as HaJobRecord;
      let restore = record.restore;
      try {
        const pointer = JSON.parse(await readFile(join(this.pointersDir, name), 'utf8')) as HaCheckpointPointer;
        restore = { checkpointDir: pointer.checkpointDir, checkpointId: pointer.checkpointId, allowNonRestoredState: false };
      } catch {
        // No checkpoint completed yet: start as submitted.
      }
      let nextAttempt = 0;
      try {
        const { attempt } = JSON.parse(await readFile(join(this.attemptsDir, name), 'utf8')) as { attempt: number };
        if (Number.isInteger(attempt) && attempt >= 0) nextAttempt = attempt + 1;
      } catch {
        // Never deployed (or recorded by a version without attempts): start at 0.
      }
      out.push({ record, restore, nextAttempt });
    }
    return out;
  }
}
