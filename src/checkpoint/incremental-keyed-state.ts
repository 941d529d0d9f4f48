/**
 * Incremental checkpoints of the LevelDB backend (`state.backend.incremental`, default true), as
 * Flink's changelog state backend (FLIP-158): each checkpoint writes either a full native
 * snapshot (a materialization) or a delta — the records written to the database since the
 * previous snapshot point plus the cache's unwritten changes — and references the chain of files
 * a restore applies: the last materialization, then every delta since (see
 * state/snapshot-chain.ts for when a chain materializes).
 *
 * Chain files outlive the checkpoint that wrote them, so they go into the job's shared
 * directory, `<state.checkpoints.dir>/<jobId>/shared/chk-<n>-<operatorId>-<subtask>-<nonce>`
 * (`n`: the checkpoint that wrote the file), and the JobManager deletes them once no retained
 * checkpoint references them (shared-state-registry.ts). Savepoints never use a chain: they
 * stay canonical and self-contained.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyGroupRange } from '../state/key-groups.js';
import type { LevelDbNativeSnapshot } from '../state/leveldb-native-snapshot.js';
import type { ChainFile, ChainStep } from '../state/snapshot-chain.js';
import type { KeyedStateHandle } from './checkpoint-types.js';
import { sharedStateDir } from './checkpoint-metadata-validation.js';
import { writeNativeKeyedStateFile } from './native-keyed-state-file.js';

/** Name of a chain file written by checkpoint `checkpointId` (unique: a nonce follows). */
export function sharedFileName(checkpointId: number, operatorId: string, subtaskIndex: number): string {
  return `chk-${checkpointId}-${operatorId}-${subtaskIndex}-${randomBytes(6).toString('hex')}`;
}

/** The checkpoint that wrote shared file `name`, or undefined for a name no task writes. */
export function creatorCheckpointOf(name: string): number | undefined {
  const m = /^chk-(\d+)-.+-\d+-[0-9a-f]{12}$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** A written step of a chain, as the acknowledgement reports it. */
export interface WrittenKeyedStep {
  keyed: KeyedStateHandle;
  /** Bytes of the whole chain (what a restore reads). */
  stateSize: number;
  /** Bytes written for this checkpoint (the step's file). */
  checkpointedSize: number;
}

/**
 * Writes one step of an incremental chain into the shared directory beside `targetDir` (the
 * checkpoint's `chk-<n>`), settles the step, and waits for the earlier files of its chain
 * (written by earlier checkpoints, possibly still being written). A failure settles the step as
 * failed, so the chain's next step is a materialization.
 */
export async function writeKeyedStep(
  targetDir: string,
  checkpointId: number,
  operatorId: string,
  subtaskIndex: number,
  keyGroupRange: KeyGroupRange,
  native: LevelDbNativeSnapshot,
  step: ChainStep<ChainFile>,
): Promise<WrittenKeyedStep> {
  const dir = sharedStateDir(targetDir);
  const name = sharedFileName(checkpointId, operatorId, subtaskIndex);
  let file: ChainFile;
  try {
    await mkdir(dir, { recursive: true });
    file = await writeNativeKeyedStateFile(dir, name, native);
  } catch (err) {
    step.failed(err);
    // Unless the writer got to it: let go of what the snapshot holds (the writer did otherwise).
    native.unwritten.discard();
    void native.iterator.then((it) => it.close()).catch(() => undefined);
    // Nothing references a half-written file.
    await rm(join(dir, name), { force: true }).catch(() => undefined);
    throw err;
  }
  step.written(file, file.size);
  const chain = await step.files;
  const stateSize = chain.reduce((n, f) => n + f.size, 0);
  return { keyed: { file, keyGroupRange, format: 'leveldb-native', chain }, stateSize, checkpointedSize: file.size };
}
