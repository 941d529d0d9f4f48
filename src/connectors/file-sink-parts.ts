/**
 * Part files of the FileSink: their names, the pending entries its state records, the
 * idempotent commit (a rename) and the recursive scan of the sink directory that a restore
 * uses to find part files in bucket sub-directories.
 */
import { randomBytes } from 'node:crypto';
import { access, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { IOError } from '../core/errors.js';

/** Name of a committed part file. */
export function partFileName(uuid: string, subtask: number, partIndex: number): string {
  return `part-${uuid}-${subtask}-${partIndex}`;
}

/** Name of a part file being written or pending (hidden). */
export function inProgressFileName(uuid: string, subtask: number, partIndex: number): string {
  return `.${partFileName(uuid, subtask, partIndex)}.inprogress`;
}

/** `name` inside bucket `bucketId` ('' is the base directory), relative to the sink directory. */
export function inBucket(bucketId: string, name: string): string {
  return bucketId === '' ? name : `${bucketId}/${name}`;
}

/** A writer uuid: job prefix, attempt, then random. */
export function writerUuid(jobId: string, attempt: number): string {
  const job = (jobId.replace(/[^0-9a-f]/gi, '').toLowerCase() + '00000000').slice(0, 8);
  const r = randomBytes(10).toString('hex');
  return `${job}-${(attempt & 0xffff).toString(16).padStart(4, '0')}-${r.slice(0, 4)}-${r.slice(4, 8)}-${r.slice(8, 20)}`;
}

/** The attempt encoded in a writer uuid. */
export function attemptOf(uuid: string): number {
  return parseInt(uuid.slice(9, 13), 16);
}

/** Matches part file names, hidden or committed: uuid (job prefix, attempt), subtask and part index. */
const PART_FILE = /^(\.?)part-(([0-9a-f]{8})-([0-9a-f]{4})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d+)-(\d+)(\.inprogress)?$/;

/** A part file found in the sink directory. */
export interface FoundPartFile {
  /** Path relative to the sink directory ('/'-separated). */
  path: string;
  /** Hidden: in progress or pending. */
  hidden: boolean;
  uuid: string;
  /** The first 8 hex of the job id. */
  job: string;
  attempt: number;
  part: number;
}

/** A part file closed for a checkpoint, committed once that checkpoint completes. */
export interface PendingPartFile {
  checkpointId: number;
  /** Hidden path while pending, relative to the sink directory. */
  file: string;
  /** Visible path once committed, relative to the sink directory. */
  target: string;
}

/** A writer as the sink state records it: its uuid and the index its next part file gets. */
export interface WriterPosition {
  uuid: string;
  nextPart: number;
}

/**
 * Every part file under `dir`, in bucket sub-directories too; other files are ignored. An
 * absent directory has none.
 */
export async function listPartFiles(dir: string): Promise<FoundPartFile[]> {
  let paths: string[];
  try {
    paths = await readdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new IOError(`FileSink cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const found: FoundPartFile[] = [];
  for (const raw of paths) {
    const path = raw.split('\\').join('/');
    const m = PART_FILE.exec(path.slice(path.lastIndexOf('/') + 1));
    if (!m) continue;
    const hidden = m[1] === '.';
    if (hidden !== (m[7] !== undefined)) continue;
    found.push({ path, hidden, uuid: m[2]!, job: m[3]!, attempt: parseInt(m[4]!, 16), part: Number(m[6]) });
  }
  return found;
}

/** Renames `from` to `to` in `dir`; done already when `from` is gone and `to` exists. */
export async function commitPartFile(dir: string, from: string, to: string): Promise<void> {
  try {
    await rename(join(dir, from), join(dir, to));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        await access(join(dir, to));
        return;
      } catch {
        throw new IOError(`FileSink cannot commit ${join(dir, from)}: neither it nor ${to} exists`, { cause: err });
      }
    }
    throw err;
  }
}
