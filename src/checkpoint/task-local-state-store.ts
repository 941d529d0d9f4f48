/**
 * Task-local recovery (Flink's TaskLocalStateStore, `state.backend.local-recovery`): a
 * TaskManager keeps a secondary copy of one subtask's checkpointed state on its own disk, so a
 * restart of that subtask on the same TaskManager reads it from there instead of the shared
 * checkpoint directory.
 *
 * Layout, one directory per subtask (`<root>/<jobId>/<vertexId>-<subtask>`, see
 * local-state-stores.ts):
 *
 * ```
 * chk-<n>/_local          JSON: the checkpoint id and the subtask's acknowledged operator states
 * chk-<n>/<file>          each keyed state file (every file of an incremental chain) and
 *                         operator state file the acknowledgement names, under its own name
 * ```
 *
 * Files are hard links of what the task just wrote to the shared directory (a copy when the two
 * directories are on different filesystems), so keeping them costs no bytes on one filesystem,
 * and a hard link outlives the JobManager's deletion of a subsumed shared file. Channel state of
 * unaligned checkpoints is not kept: it is always read from the shared directory.
 *
 * A copy is pending until the JobManager confirms its checkpoint complete; only the latest
 * confirmed copy is kept. Confirming n deletes every copy older than n, an aborted checkpoint's
 * copy is deleted, and confirmation lives in memory only: a new TaskManager process never
 * trusts copies left on disk by an earlier one.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { brandErrorClass, describeError, FailedPreconditionError } from '../core/errors.js';
import type { OperatorSubtaskState, StateFileHandle } from './checkpoint-types.js';
import { sharedStateDir } from './checkpoint-metadata-validation.js';

/** Name of the manifest in a local checkpoint directory. */
export const LOCAL_MANIFEST = '_local';

/** The local copy of a subtask's state cannot be used; the message says why. */
export class LocalStateUnusableError extends FailedPreconditionError {
  static {
    brandErrorClass(this, 'LocalStateUnusableError');
  }
}

/** A confirmed local copy of one subtask's state of one checkpoint. */
export interface LocalSubtaskState {
  checkpointId: number;
  /** Directory holding the files (each under its handle's path). */
  dir: string;
  /** The operator states of the subtask, as its acknowledgement named them. */
  operators: OperatorSubtaskState[];
}

/** Where each file of `operators` was written: its directory (checkpoint or shared) and handle. */
function filesOf(checkpointDir: string, operators: readonly OperatorSubtaskState[]): { from: string; handle: StateFileHandle }[] {
  const out: { from: string; handle: StateFileHandle }[] = [];
  for (const op of operators) {
    if (op.keyed?.chain) for (const h of op.keyed.chain) out.push({ from: join(sharedStateDir(checkpointDir), h.path), handle: h });
    else if (op.keyed) out.push({ from: join(checkpointDir, op.keyed.file.path), handle: op.keyed.file });
    if (op.operatorState) out.push({ from: join(checkpointDir, op.operatorState.path), handle: op.operatorState });
  }
  return out;
}

/** Hard-links `from` to `to`, copying when a link is impossible (another filesystem, no support). */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
    await copyFile(from, to);
  }
}

/** Local copies of one subtask's checkpointed state. */
export class TaskLocalStateStore {
  /** Copies written and not yet confirmed or discarded. */
  private readonly pending = new Set<number>();
  /** Checkpoints aborted while their copy may still be being written. */
  private readonly aborted = new Set<number>();
  private confirmed: number | undefined;
  /** Highest checkpoint confirmed complete (whether or not a copy of it exists here). */
  private latestCompleted = 0;
  private discarded = false;
  /** Deletions in flight, so tests and shutdown can wait for them. */
  private removals: Promise<void> = Promise.resolve();

  constructor(
    /** This subtask's directory. */
    readonly dir: string,
    /** Hears failures of background deletions. */
    private readonly onError: (what: string, err: unknown) => void = () => {},
  ) {}

  /** The checkpoint whose copy is confirmed, if any. */
  get confirmedCheckpointId(): number | undefined {
    return this.confirmed;
  }

  /** Directory of checkpoint `checkpointId`'s copy. */
  checkpointDir(checkpointId: number): string {
    return join(this.dir, `chk-${checkpointId}`);
  }

  /**
   * Keeps a copy of the files `operators` name (written below `checkpointDir` and its shared
   * directory) as the pending local state of `checkpointId`. Runs in the checkpoint's
   * asynchronous part; rejects when a file cannot be kept (nothing of the copy remains then).
   */
  async store(checkpointId: number, checkpointDir: string, operators: readonly OperatorSubtaskState[]): Promise<void> {
    if (this.discarded || checkpointId <= this.latestCompleted) return;
    const files = filesOf(checkpointDir, operators);
    const names = new Set<string>();
    for (const f of files) {
      // Files keep their names: they must be plain and distinct.
      if (basename(f.handle.path) !== f.handle.path || f.handle.path === LOCAL_MANIFEST || names.has(f.handle.path)) {
        throw new LocalStateUnusableError(`state file ${f.handle.path} of checkpoint ${checkpointId} cannot be kept locally under its name`);
      }
      names.add(f.handle.path);
    }
    const target = this.checkpointDir(checkpointId);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(tmp, { recursive: true });
      for (const f of files) await linkOrCopy(f.from, join(tmp, f.handle.path));
      await writeFile(join(tmp, LOCAL_MANIFEST), JSON.stringify({ checkpointId, operators }));
      await rm(target, { recursive: true, force: true });
      await rename(tmp, target);
    } catch (cause) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw new LocalStateUnusableError(`keeping a local copy of checkpoint ${checkpointId} failed: ${describeError(cause)}`, { cause });
    }
    // Confirmed, subsumed or aborted while being written: never used.
    if (this.discarded || checkpointId <= this.latestCompleted || this.aborted.delete(checkpointId)) {
      this.remove(this.discarded ? this.dir : target);
      return;
    }
    this.pending.add(checkpointId);
  }

  /**
   * Checkpoint `checkpointId` completed: its pending copy becomes the confirmed one, and every
   * older copy (confirmed or pending) is deleted.
   */
  confirm(checkpointId: number): void {
    if (this.discarded || checkpointId <= this.latestCompleted) return;
    this.latestCompleted = checkpointId;
    if (this.pending.delete(checkpointId)) {
      if (this.confirmed !== undefined) this.remove(this.checkpointDir(this.confirmed));
      this.confirmed = checkpointId;
    } else if (this.confirmed !== undefined) {
      // A newer checkpoint completed without a copy here: the old copy is stale for good.
      this.remove(this.checkpointDir(this.confirmed));
      this.confirmed = undefined;
    }
    for (const id of [...this.pending]) {
      if (id < checkpointId) {
        this.pending.delete(id);
        this.remove(this.checkpointDir(id));
      }
    }
    for (const id of [...this.aborted]) if (id <= checkpointId) this.aborted.delete(id);
  }

  /** Checkpoint `checkpointId` was aborted: its copy, pending or still being written, goes. */
  abort(checkpointId: number): void {
    if (this.discarded || checkpointId <= this.latestCompleted || checkpointId === this.confirmed) return;
    if (this.pending.delete(checkpointId)) this.remove(this.checkpointDir(checkpointId));
    else this.aborted.add(checkpointId);
  }

  /**
   * The confirmed copy of `checkpointId`, read from its manifest. LocalStateUnusableError names
   * why there is none (none confirmed, another checkpoint's, manifest missing or unreadable);
   * the files themselves are checked by the restore (local-state-restore.ts).
   */
  async retrieve(checkpointId: number): Promise<LocalSubtaskState> {
    if (this.confirmed === undefined) throw new LocalStateUnusableError(`no confirmed local state (restoring checkpoint ${checkpointId})`);
    if (this.confirmed !== checkpointId) {
      throw new LocalStateUnusableError(`the local state is of checkpoint ${this.confirmed}, the restore is of checkpoint ${checkpointId}`);
    }
    const dir = this.checkpointDir(checkpointId);
    let manifest: { checkpointId?: unknown; operators?: unknown };
    try {
      manifest = JSON.parse(await readFile(join(dir, LOCAL_MANIFEST), 'utf8')) as typeof manifest;
    } catch (cause) {
      throw new LocalStateUnusableError(`the local state of checkpoint ${checkpointId} has no readable manifest: ${describeError(cause)}`, { cause });
    }
    if (manifest.checkpointId !== checkpointId || !Array.isArray(manifest.operators)) {
      throw new LocalStateUnusableError(`the manifest of the local state of checkpoint ${checkpointId} does not describe it`);
    }
    return { checkpointId, dir, operators: manifest.operators as OperatorSubtaskState[] };
  }

  /** Forgets the confirmed copy (found unusable) and deletes it. */
  invalidate(checkpointId: number): void {
    if (this.confirmed !== checkpointId) return;
    this.confirmed = undefined;
    this.remove(this.checkpointDir(checkpointId));
  }

  /** Deletes every copy of this subtask; the store keeps nothing from now on. */
  async discard(): Promise<void> {
    this.discarded = true;
    this.pending.clear();
    this.confirmed = undefined;
    this.remove(this.dir);
    await this.settled();
  }

  /** Resolves once the deletions started so far ended. */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.removals;
      await current;
    } while (current !== this.removals);
  }

  /** The checkpoint directories currently on disk (for tests and diagnostics). */
  async checkpointsOnDisk(): Promise<number[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.flatMap((n) => (/^chk-\d+$/.test(n) ? [Number(n.slice(4))] : [])).sort((a, b) => a - b);
  }

  /** Deletes `path` in the background, after the deletions already queued. */
  private remove(path: string): void {
    this.removals = this.removals.then(() => rm(path, { recursive: true, force: true }).catch((err: unknown) => this.onError(`removing ${path}`, err)));
  }
}
