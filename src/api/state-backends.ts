/**
 * State backends a job may choose (`env.setStateBackend(...)`), in the forms Flink users know.
 * The backend kind lands in the JobGraph settings; a checkpoint directory given here is kept
 * on the environment (`getCheckpointStorage()`).
 */

/** Where keyed state lives while the job runs. */
export type StateBackendKind = 'memory' | 'leveldb';

/** A state backend choice. */
export interface StateBackend {
  readonly kind: StateBackendKind;
  /** Directory for checkpoints, when the backend names one. */
  readonly checkpointDir?: string;
}

/** Keyed state in memory (Maps); checkpoints go to the cluster's checkpoint directory. */
export class MemoryStateBackend implements StateBackend {
  readonly kind = 'memory' as const;
}

/** Keyed state in memory, checkpoints written to `checkpointDir` (Flink's FsStateBackend). */
export class FsStateBackend implements StateBackend {
  readonly kind = 'memory' as const;
  constructor(readonly checkpointDir: string) {
    if (!checkpointDir) throw new TypeError('FsStateBackend needs a checkpoint directory');
  }
}

/** Keyed state in LevelDB on the TaskManager's local disk; checkpoints to `checkpointDir` if given. */
export class LevelDBStateBackend implements StateBackend {
  readonly kind = 'leveldb' as const;
  constructor(readonly checkpointDir?: string) {}
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
