/**
 * What a restarted JobManager needs to resume its jobs, kept in `high-availability.storageDir`
 * (bundles are already there, under `blobs/`, see blob-store.ts):
 *
 * ```
 * <ha>/jobs/<jobId>.json          job graph, bundle hash, program args, initial restore point
 * <ha>/checkpoints/<jobId>.json   the job's retained completed checkpoints (newest = latest)
 * <ha>/attempts/<jobId>.json      the highest execution attempt deployed so far
 * <ha>/scaling/<jobId>.json       the job's resource requirements (per-vertex parallelism bounds)
 *                                 and the parallelism it runs at, once either changed
 * ```
 *
 * A job is written when it is accepted and removed once it is globally terminal (FINISHED,
 * FAILED, CANCELED); a JobManager that merely stops leaves it, so the next one resumes it from
 * its latest restorable checkpoint. Every file is written atomically (temp file + fsync + rename).
 * The checkpoint list is what the recovered job's retention starts from: `chk-*` directories it
 * does not name are orphans of the previous JobManager.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../checkpoint/checkpoint-storage.js';
import type { TaskRestore } from '../../checkpoint/checkpoint-types.js';
import { isId } from '../../core/ids.js';
import type { JobGraph } from '../../common/job-graph.js';
import type { ParallelismBounds } from './resource-requirements.js';
import { assertHolds, NO_FENCE, type LeaderFence } from '../ha/fencing.js';

/** A job as the HA store keeps it. */
export interface HaJobRecord {
  jobId: string;
  jobGraph: JobGraph;
  bundleHash: string;
  programArgs: string[];
  /** The checkpoint or savepoint the job was submitted with. */
  restore?: TaskRestore;
  /** Start from empty state when every checkpoint is damaged (`fluss run --restoreFromEmptyOnDamage`). */
  restoreFromEmptyOnDamage?: boolean;
  submittedAt: number;
}

/** One retained completed checkpoint. */
export interface HaCheckpointRef {
  checkpointId: number;
  checkpointDir: string;
  /** When it was triggered (ms since epoch). */
  timestamp?: number;
}

/**
 * The job's retained checkpoints. `checkpointId`/`checkpointDir` name the latest (absent when
 * none is retained any more); `retained` lists all, oldest first (absent in files written
 * before retention was recorded: then the latest is the only one).
 */
export interface HaCheckpointPointer {
  checkpointId?: number;
  checkpointDir?: string;
  retained?: HaCheckpointRef[];
}

/**
 * A job's scaling as rescales left it: a recovered job runs at this parallelism within these
 * bounds, not at its job graph's.
 */
export interface HaScalingRecord {
  /** Vertex id → its parallelism bounds. */
  requirements: Record<string, ParallelismBounds>;
  /** Vertex id → the parallelism it runs at. */
  parallelism: Record<string, number>;
}

/** A job to resume: its record and where to restore from. */
export interface RecoveredJob {
  record: HaJobRecord;
  /** Retained completed checkpoints, oldest first; the newest restorable one is restored. */
  retained: HaCheckpointRef[];
  /** A checkpoint of the job completed before (a pointer exists): never restart it from nothing silently. */
  checkpointedBefore: boolean;
  /** The first attempt the resumed job deploys: above every attempt deployed before. */
  nextAttempt: number;
  /** Its bounds and parallelism after rescales; absent when they never changed. */
  scaling?: HaScalingRecord;
}

/** The kinds of per-job files, each in its own directory below the HA storage dir. */
const KINDS = { job: 'jobs', checkpoint: 'checkpoints', attempt: 'attempts', scaling: 'scaling' } as const;
type Kind = keyof typeof KINDS;

/** Jobs and checkpoint pointers on the HA storage dir; a no-op without one. */
export class HaStore {
  constructor(
    private readonly storageDir: string | undefined,
    /** The leader term (with `high-availability.type: etcd`): checked before every write, which records its version on etcd. */
    private readonly fence: LeaderFence = NO_FENCE,
  ) {}

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
    await this.fence.check(`writing the ${kind} record of job ${jobId} to the HA store`, { put: `${jobId}/${kind}` });
    await mkdir(join(this.storageDir, KINDS[kind]), { recursive: true });
    // Checked again right before the rename: a process paused since the etcd check writes nothing.
    await writeFileAtomically(this.file(this.storageDir, kind, jobId), JSON.stringify(value), () => assertHolds(this.fence, `writing the ${kind} record of job ${jobId}`));
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

  /** Records the job's retained completed checkpoints (oldest first). */
  putRetainedCheckpoints(jobId: string, retained: readonly HaCheckpointRef[]): Promise<void> {
    const latest = retained.at(-1);
    const pointer: HaCheckpointPointer = { ...(latest ? { checkpointId: latest.checkpointId, checkpointDir: latest.checkpointDir } : {}), retained: [...retained] };
    return this.put('checkpoint', jobId, pointer);
  }

  /** Records the highest execution attempt of the job about to be deployed. */
  putAttempt(jobId: string, attempt: number): Promise<void> {
    return this.put('attempt', jobId, { attempt });
  }

  /** Records the job's resource requirements and parallelism (after they changed). */
  putScaling(jobId: string, scaling: HaScalingRecord): Promise<void> {
    return this.put('scaling', jobId, scaling);
  }

  /** Forgets a globally terminal job. */
  async removeJob(jobId: string): Promise<void> {
    const root = this.storageDir;
    if (!root) return;
    await this.fence.check(`removing job ${jobId} from the HA store`, { deletePrefix: `${jobId}/` });
    for (const kind of Object.keys(KINDS) as Kind[]) {
      assertHolds(this.fence, `removing job ${jobId} from the HA store`);
      await rm(this.file(root, kind, jobId), { force: true });
    }
  }

  /** Every stored job with its retained checkpoints (a job record that does not parse fails the recovery). */
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
      const retained = pointer ? retainedOf(pointer) : [];
      // Never deployed (or recorded by a version without attempts): start at 0.
      const attempt = (await this.read<{ attempt: number }>(root, 'attempt', jobId))?.attempt;
      const nextAttempt = Number.isInteger(attempt) && attempt! >= 0 ? attempt! + 1 : 0;
      const scaling = scalingOf(await this.read<HaScalingRecord>(root, 'scaling', jobId));
      out.push({ record, retained, checkpointedBefore: pointer !== undefined, nextAttempt, ...(scaling ? { scaling } : {}) });
    }
    return out;
  }
}

/** The retained checkpoints a pointer names, oldest first, whatever version wrote it. */
function retainedOf(pointer: HaCheckpointPointer): HaCheckpointRef[] {
  const valid = (r: HaCheckpointRef | undefined): r is HaCheckpointRef => !!r && Number.isInteger(r.checkpointId) && typeof r.checkpointDir === 'string' && r.checkpointDir !== '';
  if (Array.isArray(pointer.retained)) return pointer.retained.filter(valid).sort((a, b) => a.checkpointId - b.checkpointId);
  const latest = { checkpointId: pointer.checkpointId!, checkpointDir: pointer.checkpointDir! };
  return valid(latest) ? [latest] : [];
}

/** A scaling record as read, or undefined when it is missing or malformed (the job graph's values apply). */
function scalingOf(raw: HaScalingRecord | undefined): HaScalingRecord | undefined {
  if (!raw || typeof raw.requirements !== 'object' || raw.requirements === null || typeof raw.parallelism !== 'object' || raw.parallelism === null) return undefined;
  const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;
  const requirements = Object.fromEntries(Object.entries(raw.requirements).filter(([, b]) => isCount(b?.lowerBound) && isCount(b?.upperBound) && b.lowerBound <= b.upperBound));
  const parallelism = Object.fromEntries(Object.entries(raw.parallelism).filter(([, p]) => isCount(p)));
  return { requirements, parallelism };
}
