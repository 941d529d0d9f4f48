/**
 * The forms a job may name its checkpoint directory in (`new RocksDBStateBackend(dir)`,
 * `new FsStateBackend(dir)`, `setCheckpointStorage(dir)`): Flink takes any filesystem URI, Fluss
 * writes checkpoints with Node's `fs` only, so it takes an absolute path on a filesystem the
 * JobManager and every TaskManager share, or a `file://` URI of one. Everything else — another
 * scheme (`hdfs://`, `s3://`), a relative path (each process would resolve it against its own
 * working directory), the root directory (as Flink refuses it) — is refused in one line.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../core/errors.js';

/** What the refusals say the supported forms are. */
export const SUPPORTED_CHECKPOINT_LOCATIONS =
  'an absolute path on a filesystem the JobManager and every TaskManager share ("/mnt/shared/checkpoints") or a file:// URI ("file:///mnt/shared/checkpoints")';

// Two characters at least, so that no single drive letter reads as a scheme.
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/**
 * The local absolute directory a job's checkpoint location names.
 *
 * @throws InvalidArgumentError (one line, naming the supported forms) for a scheme Fluss cannot
 *   write, a relative path, a `file://` URI of another host, or the root directory
 */
export function localCheckpointDir(location: string): string {
  const what = `checkpoint directory ${JSON.stringify(location)}`;
  if (typeof location !== 'string' || location.trim() === '') throw new InvalidArgumentError(`the checkpoint directory is empty: give ${SUPPORTED_CHECKPOINT_LOCATIONS}`);
  if (location.includes('\0')) throw new InvalidArgumentError(`${what} contains a NUL byte`);
  let path = location;
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  if (scheme === 'file') {
    try {
      path = fileURLToPath(new URL(location));
    } catch (cause) {
      throw new InvalidArgumentError(`${what} is not a usable file:// URI (${(cause as Error).message}): give ${SUPPORTED_CHECKPOINT_LOCATIONS}`, { cause });
    }
  } else if (scheme !== undefined) {
    throw new InvalidArgumentError(`${what} uses the ${scheme}:// scheme, which Fluss cannot write: give ${SUPPORTED_CHECKPOINT_LOCATIONS}`);
  } else if (!isAbsolute(location)) {
    throw new InvalidArgumentError(`${what} is relative: give ${SUPPORTED_CHECKPOINT_LOCATIONS}`);
  }
  const dir = resolve(path);
  if (resolve(dir, '..') === dir) throw new InvalidArgumentError(`${what} is the root directory, which cannot hold checkpoints: give ${SUPPORTED_CHECKPOINT_LOCATIONS}`);
  return dir;
}

/**
 * For a cluster started just for one job (`fluss run --local`, `env.execute()`): the job's own
 * checkpoint directory becomes the cluster's `state.checkpoints.dir`, so the JobManager's
 * rule that a job-chosen directory lies inside the configured ones holds for any directory the
 * job names. Empty when the job names none.
 */
export function checkpointRootForJob(checkpointStorage: string | undefined): { 'state.checkpoints.dir'?: string } {
  return checkpointStorage === undefined ? {} : { 'state.checkpoints.dir': localCheckpointDir(checkpointStorage) };
}
