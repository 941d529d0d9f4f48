/**
 * State backends a job may choose (`env.setStateBackend(...)`), in the forms Flink users know.
 * The backend kind lands in the JobGraph settings. A checkpoint directory given to a backend
 * (`new RocksDBStateBackend(dir)`, `new FsStateBackend(dir)`) becomes the job's checkpoint
 * directory (`settings.checkpointStorage`), which wins over the cluster's
 * `state.checkpoints.dir`, as in Flink. The JobManager checks it at submission: a local or
 * shared-filesystem path or a `file://` URI (see checkpoint-location.ts).
 */
import { JobBuildError } from '../core/errors.js';

/** Where keyed state lives while the job runs. */
export type StateBackendKind = 'memory' | 'leveldb';

/** A state backend choice. */
export interface StateBackend {
  readonly kind: StateBackendKind;
  /** Directory for checkpoints, when the backend names one. */
  readonly checkpointDir?: string;
}

function checkpointDirArgument(backend: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir.trim() === '') {
    throw new JobBuildError(`${backend} needs a checkpoint directory (an absolute path or a file:// URI), got ${JSON.stringify(dir)}`);
  }
  return dir;
}

/** Keyed state in memory (Maps); checkpoints go to the cluster's checkpoint directory. */
export class MemoryStateBackend implements StateBackend {
  readonly kind = 'memory' as const;
}

/** Keyed state in memory, checkpoints written to `checkpointDir` (Flink's FsStateBackend). */
export class FsStateBackend implements StateBackend {
  readonly kind = 'memory' as const;
  readonly checkpointDir: string;
  constructor(checkpointDir: string) {
    this.checkpointDir = checkpointDirArgument('FsStateBackend', checkpointDir);
  }
}

/** Keyed state in LevelDB on the TaskManager's local disk; checkpoints to `checkpointDir` if given. */
export class LevelDBStateBackend implements StateBackend {
  readonly kind = 'leveldb' as const;
  readonly checkpointDir?: string;
  constructor(checkpointDir?: string) {
    if (checkpointDir !== undefined) this.checkpointDir = checkpointDirArgument('LevelDBStateBackend', checkpointDir);
  }
}

/** Flink's HashMapStateBackend: keyed state as objects in memory (Fluss's memory backend). */
export class HashMapStateBackend implements StateBackend {
  readonly kind = 'memory' as const;
}

/**
 * Flink's EmbeddedRocksDBStateBackend: keyed state in an embedded LSM store on local disk,
 * larger than memory. Fluss's equivalent is LevelDB, which this selects.
 */
export class EmbeddedRocksDBStateBackend implements StateBackend {
  readonly kind = 'leveldb' as const;
  /** Flink's incremental-checkpoint flag; LevelDB checkpoints are native snapshots either way. */
  constructor(readonly incrementalCheckpoints = false) {}
}

/**
 * Flink's legacy RocksDBStateBackend: keyed state in the embedded LSM store (LevelDB in Fluss)
 * and checkpoints to `checkpointDataUri` — an absolute path or `file://` URI on a filesystem the
 * JobManager and every TaskManager share. Schemes Fluss cannot write (`hdfs://`, `s3://`) are
 * refused when the job is submitted.
 */
export class RocksDBStateBackend implements StateBackend {
  readonly kind = 'leveldb' as const;
  readonly checkpointDir: string;
  /** Flink's incremental-checkpoint flag; LevelDB checkpoints are native snapshots either way. */
  readonly incrementalCheckpoints: boolean;
  constructor(checkpointDataUri: string, enableIncrementalCheckpointing = false) {
    this.checkpointDir = checkpointDirArgument('RocksDBStateBackend', checkpointDataUri);
    this.incrementalCheckpoints = enableIncrementalCheckpointing;
  }

  /** The checkpoint directory, as given. */
  getCheckpointPath(): string {
    return this.checkpointDir;
  }
}

/**
 * Flink's FileSystemCheckpointStorage, for `env.getCheckpointConfig().setCheckpointStorage(...)`:
 * checkpoints to `checkpointPath` (an absolute path or `file://` URI).
 */
export class FileSystemCheckpointStorage {
  readonly checkpointPath: string;
  constructor(checkpointPath: string) {
    this.checkpointPath = checkpointDirArgument('FileSystemCheckpointStorage', checkpointPath);
  }

  /** The checkpoint directory, as given. */
  getCheckpointPath(): string {
    return this.checkpointPath;
  }
}
