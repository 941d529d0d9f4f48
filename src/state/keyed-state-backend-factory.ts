/**
 * Choosing and creating keyed state backends: the job's own choice
 * (`JobGraph.settings.stateBackend`, set by `env.setStateBackend`) wins over the cluster's
 * `state.backend.type` (default `leveldb`). A LevelDB database lives under the TaskManager's
 * local state directory at `<dir>/job-<jobId>/<operatorId>-<subtask>-<attempt>/`, one per
 * keyed operator of a subtask, and is removed when the task ends. Each database takes its share
 * of the TaskManager's managed memory (see managed-memory.ts) for its write-back cache, block
 * cache and memtables; `state.backend.leveldb.cache.size`, when set, bounds each database's
 * write-back cache instead (LevelDB's own memory then keeps its defaults).
 */
import { delimiter, join } from 'node:path';
import type { FlussConfig } from '../core/config.js';
import { jobTypeRegistry } from '../core/type-registry.js';
import type { KeyGroupRange } from './key-groups.js';
import type { KeyedStateBackend } from './keyed-state-backend.js';
import { LevelDbKeyedStateBackend, type IncrementalSnapshotOptions } from './leveldb-keyed-state-backend.js';
import { splitDatabaseShare, type ManagedMemoryPool } from './managed-memory.js';
import { MemoryKeyedStateBackend } from './memory-keyed-state-backend.js';

/** Names of the keyed state backends. */
export type StateBackendKind = 'leveldb' | 'memory';

/** What identifies one keyed operator of one subtask. */
export interface KeyedStateBackendParameters {
  jobId: string;
  operatorId: string;
  operatorName: string;
  subtaskIndex: number;
  attemptNumber: number;
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  /** Keyed operators sharing this subtask's slot (they split its managed memory); default 1. */
  keyedOperatorsInSlot?: number;
}

/** Creates the keyed state backend of one keyed operator (only keyed operators get one). */
export type KeyedStateBackendFactory = (parameters: KeyedStateBackendParameters) => KeyedStateBackend | Promise<KeyedStateBackend>;

/** The job's backend if it chose one, else the cluster's. */
export function resolveStateBackendKind(config: Pick<FlussConfig, 'state.backend.type'>, jobChoice?: StateBackendKind): StateBackendKind {
  return jobChoice ?? config['state.backend.type'];
}

/** The first directory of `io.tmp.dirs` (a comma- or path-delimiter-separated list, as in Flink). */
export function firstTmpDir(dirs: string): string {
  return dirs.split(',')[0]!.split(delimiter)[0]!.trim();
}

/** The directory of one job's local state under `stateDir`. */
export function jobStateDirectory(stateDir: string, jobId: string): string {
  return join(stateDir, `job-${jobId}`);
}

/** The directory of one operator's database under `stateDir`. */
export function localStateDirectory(stateDir: string, p: KeyedStateBackendParameters): string {
  return join(jobStateDirectory(stateDir, p.jobId), `${p.operatorId}-${p.subtaskIndex}-${p.attemptNumber}`);
}

/** Options of {@link createKeyedStateBackendFactory}. */
export interface KeyedStateBackendFactoryOptions {
  kind: StateBackendKind;
  /** Parent of the LevelDB databases (the TaskManager's local state directory). */
  stateDir: string;
  /** Cache bound of each LevelDB database, in bytes (`state.backend.leveldb.cache.size`); wins over {@link managedMemory}. */
  cacheBytes?: number;
  /** The TaskManager's managed memory; without it (and without cacheBytes) each database gets 64 MiB. */
  managedMemory?: ManagedMemoryPool;
  /** Incremental checkpoints of LevelDB databases (`state.backend.incremental`); absent: off. */
  incremental?: IncrementalSnapshotOptions;
}

/** Cache bound of a database when neither an explicit size nor managed memory is given. */
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** A factory creating backends of `options.kind`. */
export function createKeyedStateBackendFactory(options: KeyedStateBackendFactoryOptions): KeyedStateBackendFactory {
  // Stored instances resolve through the job's registered types (see core/type-registry.ts).
  if (options.kind === 'memory') return (p) => new MemoryKeyedStateBackend({ ...p, types: jobTypeRegistry(p.jobId) });
  return async (p) => {
    const common = {
      maxParallelism: p.maxParallelism,
      keyGroupRange: p.keyGroupRange,
      operatorName: p.operatorName,
      path: localStateDirectory(options.stateDir, p),
      types: jobTypeRegistry(p.jobId),
      ...(options.incremental ? { incremental: options.incremental } : {}),
    };
    const pool = options.managedMemory;
    if (options.cacheBytes !== undefined || !pool) return LevelDbKeyedStateBackend.open({ ...common, cacheBytes: options.cacheBytes ?? DEFAULT_CACHE_BYTES });
    let backend: LevelDbKeyedStateBackend | undefined;
    const lease = pool.acquire(`${p.jobId}/${p.subtaskIndex}`, p.keyedOperatorsInSlot ?? 1, (bytes) => backend?.resizeShare(bytes));
    const opened = lease.bytes;
    const split = splitDatabaseShare(opened);
    try {
      backend = await LevelDbKeyedStateBackend.open({ ...common, ...split, memory: lease });
    } catch (err) {
      lease.release();
      throw err;
    }
    // A resize while opening: the cache follows the share as it is now.
    if (lease.bytes !== opened) backend.resizeShare(lease.bytes);
    return backend;
  };
}

/** Incremental checkpoint options from the configuration (`state.backend.incremental.*`). */
export function incrementalSnapshotOptions(
  config: Pick<FlussConfig, 'state.backend.incremental.max-chain-length' | 'state.backend.incremental.changelog.max-size' | 'state.backend.incremental.max-delta-ratio'>,
): IncrementalSnapshotOptions {
  return {
    maxLength: config['state.backend.incremental.max-chain-length'],
    // Deltas that together outgrow the base: a restore would read more changes than state.
    maxDeltaRatio: config['state.backend.incremental.max-delta-ratio'],
    changelogBytes: config['state.backend.incremental.changelog.max-size'],
  };
}
