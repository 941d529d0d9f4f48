/**
 * The synchronous part of a keyed state snapshot, in the format the checkpoint asks for
 * (Flink's split between native RocksDB checkpoints and canonical savepoints):
 *
 * - `canonical`: backend-independent entries ({@link KeyedStateEntry}); savepoints always, and
 *   checkpoints of backends without a native format (memory).
 * - `leveldb-native`: checkpoints of the LevelDB backend. The raw key/value bytes of a LevelDB
 *   snapshot iterator, with the state id → name table; no entry is decoded or re-encoded.
 */
import type { KeyGroupRange } from './key-groups.js';
import type { KeyedStateBackend, KeyedStateEntry } from './keyed-state-backend.js';
import { LevelDbKeyedStateBackend } from './leveldb-keyed-state-backend.js';
import type { LevelDbNativeSnapshot } from './leveldb-native-snapshot.js';
import { releaseSnapshotEntries } from './memory-keyed-state-snapshot.js';
import type { ChainFile, ChainStep } from './snapshot-chain.js';
import { StateBackendError } from './state-errors.js';

/** Formats of keyed state files. */
export type KeyedStateFormat = 'canonical' | 'leveldb-native';

/** Keyed state fixed at the snapshot point, consumed by the asynchronous part. */
export type KeyedStateSnapshot =
  | { format: 'canonical'; keyGroupRange: KeyGroupRange; entries: AsyncIterable<KeyedStateEntry> }
  | { format: 'leveldb-native'; keyGroupRange: KeyGroupRange; native: LevelDbNativeSnapshot; step?: ChainStep<ChainFile> };

/**
 * Fixes the keyed state of `backend` for a checkpoint (`savepoint` false) or a savepoint. For a
 * native LevelDB checkpoint this only captures the cache's unwritten entries (serialised lazily)
 * and seals the collecting batch: the snapshot iterator opens once the batches handed over so
 * far are written, while records are processed again.
 */
export async function snapshotKeyedState(backend: KeyedStateBackend, savepoint: boolean, chainTarget?: string): Promise<KeyedStateSnapshot> {
  if (!savepoint && backend instanceof LevelDbKeyedStateBackend) {
    // Incremental: a delta of the changes since the last snapshot, or a new base (see
    // snapshot-chain.ts); `chainTarget` is the directory the chain's files go to.
    const step = backend.chain?.begin(backend.canSnapshotDelta, chainTarget);
    try {
      const native = backend.snapshotNative(step !== undefined && !step.full);
      return { format: 'leveldb-native', keyGroupRange: backend.keyGroupRange, native, ...(step ? { step } : {}) };
    } catch (err) {
      step?.failed(err);
      throw err;
    }
  }
  return { format: 'canonical', keyGroupRange: backend.keyGroupRange, entries: await backend.snapshotKeyGroups() };
}

/**
 * Frees a snapshot that will not be written (checkpoint aborted or failed first): a native
 * snapshot's LevelDB iterator pins old data until closed, and its capture of unwritten entries
 * would otherwise still serialise them when they are next used. A memory backend's snapshot
 * makes the task copy what it shares until it ends (idempotent: a snapshot read to the end has
 * ended already).
 */
export function releaseKeyedStateSnapshot(snapshot: KeyedStateSnapshot): void {
  if (snapshot.format === 'canonical') return releaseSnapshotEntries(snapshot.entries);
  snapshot.step?.failed(new StateBackendError('the snapshot was released unwritten'));
  snapshot.native.unwritten.discard();
  snapshot.native.iterator.then((it) => it.close()).catch(() => undefined);
}
