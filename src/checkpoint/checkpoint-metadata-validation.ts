/**
 * Validation of a checkpoint's or savepoint's `_metadata` before a job starts from it: the
 * document has the shape of {@link CheckpointMetadata} with checksum-bearing, relative state
 * handles, and it fits the job — every operator with state still exists (unless
 * allowNonRestoredState) with an unchanged max parallelism. Pure; the files themselves are
 * checked by checkpoint-storage-restore.ts.
 */
import { checkChannelStateRestorable } from './channel-state-restore-check.js';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { z } from 'zod';
import { FailedPreconditionError, InvalidArgumentError } from '../core/errors.js';
import type { JobGraph } from '../common/job-graph.js';
import type { CheckpointMetadata, OperatorCheckpointState, OperatorSubtaskState, StateFileHandle } from './checkpoint-types.js';

const relativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !isAbsolute(p) && !normalize(p).split(/[\\/]/).includes('..') && !p.includes('\0'), 'must be a path inside the checkpoint directory');

const fileHandle = z.object({
  path: relativePath,
  size: z.number().int().nonnegative(),
  checksum: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 checksum (64 hex digits)'),
});

const subtaskState = z.object({
  operatorId: z.string().min(1),
  subtaskIndex: z.number().int().nonnegative(),
  keyed: z
    .object({
      file: fileHandle,
      keyGroupRange: z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }),
      format: z.enum(['canonical', 'leveldb-native']).optional(),
      chain: z.array(fileHandle).min(1).optional(),
    })
    .optional(),
  operatorState: fileHandle.optional(),
  channelState: fileHandle.optional(),
});

const metadataSchema = z.object({
  version: z.literal(1),
  jobId: z.string().min(1),
  checkpointId: z.number().int().positive(),
  timestamp: z.number().nonnegative(),
  savepoint: z.boolean(),
  operators: z.array(
    z.object({
      operatorId: z.string().min(1),
      name: z.string(),
      parallelism: z.number().int().positive(),
      maxParallelism: z.number().int().positive(),
      subtasks: z.array(subtaskState),
    }),
  ),
});

/**
 * Parses `_metadata` text; InvalidArgumentError naming `where` and the first bad field for
 * anything damaged (truncated JSON, missing checksum, absolute or escaping paths).
 */
export function parseCheckpointMetadata(text: string, where: string): CheckpointMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`The _metadata of ${where} is damaged: ${(err as Error).message}`, { cause: err });
  }
  const result = metadataSchema.safeParse(doc);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidArgumentError(`The _metadata of ${where} is damaged: ${issue.path.join('.') || 'document'} ${issue.message}`);
  }
  return result.data as CheckpointMetadata;
}

/** True when an operator put any state into the checkpoint. */
export function hasState(op: OperatorCheckpointState): boolean {
  return op.subtasks.some((s) => s.keyed !== undefined || s.operatorState !== undefined || s.channelState !== undefined);
}

/** Every state file a checkpoint references, with the directory its path is relative to. */
export function stateFilesOf(metadata: CheckpointMetadata, dir: string): { dir: string; handle: StateFileHandle }[] {
  const files: { dir: string; handle: StateFileHandle }[] = [];
  const add = (s: OperatorSubtaskState): void => {
    if (s.keyed?.chain) for (const handle of s.keyed.chain) files.push({ dir: sharedStateDir(dir), handle });
    else if (s.keyed) files.push({ dir, handle: s.keyed.file });
    if (s.operatorState) files.push({ dir, handle: s.operatorState });
    if (s.channelState) files.push({ dir, handle: s.channelState });
  };
  for (const op of metadata.operators) op.subtasks.forEach(add);
  return files;
}

/** Name of the directory beside a job's `chk-<n>` directories holding incremental checkpoints' files. */
export const SHARED_STATE_DIR = 'shared';

/** The shared directory of the job a checkpoint directory belongs to (`<chk dir>/../shared`). */
export function sharedStateDir(checkpointDir: string): string {
  return join(checkpointDir, '..', SHARED_STATE_DIR);
}

/**
 * Checks that `metadata` can be restored into `jobGraph`. Refuses, with Flink's wording, an
 * operator whose max parallelism changed, and state of operators the job no longer has
 * unless `allowNonRestoredState`.
 */
export function checkRestoreCompatibility(metadata: CheckpointMetadata, jobGraph: JobGraph, allowNonRestoredState: boolean, where: string): void {
  const operators = new Map<string, { maxParallelism: number; name: string }>();
  for (const v of jobGraph.vertices) for (const op of v.operators) operators.set(op.operatorId, { maxParallelism: v.maxParallelism, name: op.name });
  for (const op of metadata.operators) {
    if (!hasState(op)) continue;
    const now = operators.get(op.operatorId);
    if (!now) {
      if (allowNonRestoredState) continue;
      throw new FailedPreconditionError(
        `Failed to rollback to checkpoint/savepoint ${where}. Cannot map checkpoint/savepoint state for operator ${op.operatorId} (${op.name}) to the new program, ` +
          'because the operator is not available in the new program. If you want to allow to skip this, you can set the --allowNonRestoredState option on the CLI.',
      );
    }
    if (now.maxParallelism !== op.maxParallelism) {
      throw new FailedPreconditionError(
        `Failed to rollback to checkpoint/savepoint ${where}: max parallelism changed from ${op.maxParallelism} to ${now.maxParallelism} for operator ${op.operatorId} (${now.name}). ` +
          'The max parallelism of a stateful operator must not change.',
      );
    }
    checkChannelStateRestorable(op, metadata, jobGraph, where);
    for (const s of op.subtasks) {
      const r = s.keyed?.keyGroupRange;
      if (r && (r.start > r.end || r.end >= op.maxParallelism)) {
        throw new InvalidArgumentError(`The _metadata of ${where} is damaged: key-group range [${r.start}, ${r.end}] of operator ${op.operatorId} is outside max parallelism ${op.maxParallelism}`);
      }
    }
  }
}

/** Joins a relative handle path onto its checkpoint directory. */
export function handlePath(dir: string, handle: StateFileHandle): string {
  return `${dir}${dir.endsWith(sep) ? '' : sep}${handle.path}`;
}
