/**
 * Checkpoints and savepoints on the shared filesystem:
 *
 * ```
 * <state.checkpoints.dir>/<jobId>/chk-<n>/_metadata (+ the tasks' state files)
 * <state.savepoints.dir>/savepoint-<6 hex of jobId>-<12 hex>/_metadata
 * ```
 *
 * `_metadata` is written to a temp file, fsynced and renamed (then the directory is fsynced),
 * so a checkpoint exists iff its complete `_metadata` does.
 *
 * Discarding a `chk-<n>` is atomic as seen from the job's directory: one rename moves it to
 * `<jobId>/.discarded/chk-<n>-<nonce>` and the deletion runs in the background, so a checkpoint
 * being deleted is never still counted (or read) as a `chk-*`. Leftovers of `.discarded` (a
 * JobManager that died while deleting) are removed when the job ends or is recovered.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../core/errors.js';
import type { CheckpointStorageAccess } from './checkpoint-coordinator-types.js';
import type { CheckpointMetadata } from './checkpoint-types.js';
import { parseCheckpointMetadata, SHARED_STATE_DIR } from './checkpoint-metadata-validation.js';

/** Name of the file whose existence makes a checkpoint complete. */
export const METADATA_FILE = '_metadata';

/**
 * Writes `data` to `path` atomically: temp file + fsync + rename + directory fsync.
 * `beforeRename` runs synchronously right before the rename; what it throws leaves `path` untouched.
 */
export async function writeFileAtomically(path: string, data: string | Uint8Array, beforeRename?: () => void): Promise<void> {
  const dir = resolve(path, '..');
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    beforeRename?.();
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

/** Directory below `<state.checkpoints.dir>/<jobId>` where discarded checkpoints are deleted. */
export const DISCARDED_DIR = '.discarded';

/** The checkpoint storage of one job. */
export class CheckpointStorage implements CheckpointStorageAccess {
  /** Background deletions of discarded directories. */
  private readonly deletions = new Set<Promise<void>>();

  constructor(
    readonly jobId: string,
    /** `state.checkpoints.dir`; undefined: periodic checkpoints are unavailable. */
    readonly checkpointsDir: string | undefined,
    /** `state.savepoints.dir`: the default savepoint target. */
    readonly savepointsDir: string | undefined,
  ) {}

  /** `<state.checkpoints.dir>/<jobId>`. */
  get jobCheckpointsDir(): string {
    if (!this.checkpointsDir) throw new FailedPreconditionError('state.checkpoints.dir is not configured');
    return join(resolve(this.checkpointsDir), this.jobId);
  }

  async initCheckpointDir(checkpointId: number): Promise<string> {
    const dir = this.checkpointDir(checkpointId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async initSavepointDir(targetDir: string | undefined): Promise<string> {
    const base = targetDir ?? this.savepointsDir;
    if (!base) {
      throw new InvalidArgumentError('No savepoint directory: give a target directory or configure state.savepoints.dir');
    }
    const dir = join(resolve(base), `savepoint-${this.jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async writeMetadata(dir: string, metadata: CheckpointMetadata): Promise<void> {
    await writeFileAtomically(join(dir, METADATA_FILE), `${JSON.stringify(metadata)}\n`);
  }

  /**
   * Discards a checkpoint or savepoint directory. A `chk-<n>` of this job is renamed into
   * `.discarded` (resolves once it is out of the way) and deleted in the background
   * ({@link whenDeleted}); anything else is deleted before this resolves.
   */
  async discard(dir: string): Promise<void> {
    const abs = resolve(dir);
    if (!this.checkpointsDir || resolve(abs, '..') !== this.jobCheckpointsDir || !/^chk-\d+$/.test(basename(abs))) {
      await removeTree(abs);
      return;
    }
    const trash = join(this.jobCheckpointsDir, DISCARDED_DIR);
    await mkdir(trash, { recursive: true });
    const target = join(trash, `${basename(abs)}-${randomBytes(6).toString('hex')}`);
    try {
      // The one step that changes what `chk-*` the job has.
      await rename(abs, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const deletion = removeTree(target)
      .catch(() => {
        // Left in .discarded: removed with the job's directory or on recovery.
      })
      .finally(() => this.deletions.delete(deletion));
    this.deletions.add(deletion);
  }

  /** Resolves once every background deletion started so far ended. */
  async whenDeleted(): Promise<void> {
    while (this.deletions.size > 0) await Promise.all([...this.deletions]);
  }

  /**
   * Removes what is left in `.discarded` (deletions a crashed JobManager did not finish, or
   * that failed); waits for the background deletions first.
   */
  async purgeDiscarded(): Promise<void> {
    await this.whenDeleted();
    if (!this.checkpointsDir) return;
    await removeTree(join(this.jobCheckpointsDir, DISCARDED_DIR));
  }

  async sweep(keep: ReadonlySet<number>, upTo: number): Promise<number[]> {
    const removed: number[] = [];
    for (const id of await this.checkpointIdsOnDisk()) {
      if (id > upTo || keep.has(id)) continue;
      await this.discard(join(this.jobCheckpointsDir, `chk-${id}`));
      removed.push(id);
    }
    return removed;
  }

  async sweepShared(collectable: (name: string) => boolean): Promise<string[]> {
    if (!this.checkpointsDir) return [];
    const dir = join(this.jobCheckpointsDir, SHARED_STATE_DIR);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const name of names) {
      if (!collectable(name)) continue;
      await rm(join(dir, name), { force: true });
      removed.push(name);
    }
    return removed;
  }

  async readMetadata(dir: string): Promise<CheckpointMetadata> {
    return parseCheckpointMetadata(await readMetadataText(dir), dir);
  }

  /** Ids of the `chk-<n>` directories of the job, ascending (none without checkpoint storage). */
  async checkpointIdsOnDisk(): Promise<number[]> {
    if (!this.checkpointsDir) return [];
    let names: string[];
    try {
      names = await readdir(this.jobCheckpointsDir);
    } catch {
      return [];
    }
    return names
      .map((n) => /^chk-(\d+)$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** `<state.checkpoints.dir>/<jobId>/chk-<n>`. */
  checkpointDir(checkpointId: number): string {
    return join(this.jobCheckpointsDir, `chk-${checkpointId}`);
  }

  /** Removes `<state.checkpoints.dir>/<jobId>` when nothing but `.discarded` is left in it. */
  async removeJobDirIfEmpty(): Promise<void> {
    if (!this.checkpointsDir) return;
    await this.purgeDiscarded().catch(() => undefined);
    // Empty once no retained checkpoint references a shared file.
    await rmdir(join(this.jobCheckpointsDir, SHARED_STATE_DIR)).catch(() => undefined);
    try {
      await rmdir(this.jobCheckpointsDir);
    } catch {
      // Not empty (retained checkpoints) or never created.
    }
  }
}

/** `rm -r`, retried: a task may still be closing a file in it (ENOTEMPTY, EBUSY). */
function removeTree(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** Resolves a restore or dispose path: a checkpoint/savepoint directory or its `_metadata` file. */
export async function resolveCheckpointDir(path: string): Promise<string> {
  const abs = resolve(path);
  let s;
  try {
    s = await stat(abs);
  } catch {
    throw new NotFoundError(`Cannot find checkpoint or savepoint at ${abs}: the path does not exist`);
  }
  if (s.isFile()) {
    if (basename(abs) !== METADATA_FILE) throw new InvalidArgumentError(`${abs} is neither a checkpoint/savepoint directory nor its ${METADATA_FILE} file`);
    return resolve(abs, '..');
  }
  return abs;
}

/** Reads the raw text of `<dir>/_metadata`; NotFoundError naming the path when it is missing. */
export async function readMetadataText(dir: string): Promise<string> {
  try {
    return await readFile(join(dir, METADATA_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`${dir} is not a complete checkpoint or savepoint: it has no ${METADATA_FILE} file`, { cause: err });
    }
    throw err;
  }
}

/** Deletes a savepoint directory; refuses anything without a `_metadata` file. */
export async function disposeSavepoint(path: string): Promise<string> {
  const dir = await resolveCheckpointDir(path);
  const isFile = await stat(join(dir, METADATA_FILE)).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) throw new FailedPreconditionError(`Refusing to dispose ${dir}: it is not a savepoint (no ${METADATA_FILE} file)`);
  await rm(dir, { recursive: true, force: true });
  return dir;
}
