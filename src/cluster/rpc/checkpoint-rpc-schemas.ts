/**
 * zod schemas of the checkpoint and savepoint requests of JobManagerService and
 * TaskManagerService, and of the JSON documents they carry (TaskCheckpointAck,
 * CheckpointRequest). Like rpc-schemas.ts: anything malformed is refused with
 * INVALID_ARGUMENT naming the field before any state is touched.
 */
import { z } from 'zod';
import type { CheckpointRequest, TaskCheckpointAck } from '../../checkpoint/checkpoint-types.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { PayloadLimits } from './payload-limits.js';
import { describeIssue, jobIdSchema, nameSchema, parseJsonField } from './rpc-schemas.js';

const subtaskIndex = z.number().int().min(0).max(32767);
const attempt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const checkpointId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const path = z.string().max(4096, 'is longer than 4096 characters').refine((p) => !p.includes('\0'), 'contains a NUL byte');
const json = (max: number) => z.string().min(1, 'is empty').max(max, `is larger than rpc.json.max-size (${max} bytes)`);

const fileHandle = z.object({ path: z.string().min(1).max(4096), size: z.number().int().nonnegative(), checksum: z.string().max(128) });

/** The shape of a {@link TaskCheckpointAck}. */
export const taskCheckpointAckSchema = z.object({
  checkpointId,
  vertexId: nameSchema,
  subtaskIndex,
  attempt,
  operators: z
    .array(
      z.object({
        operatorId: nameSchema,
        subtaskIndex,
        keyed: z
          .object({
            file: fileHandle,
            keyGroupRange: z.object({ start: z.number().int().min(0), end: z.number().int().min(0) }),
            format: z.enum(['canonical', 'leveldb-native']).optional(),
            // Incremental checkpoints: the files a restore applies, in the job's shared directory.
            chain: z.array(fileHandle).min(1).max(100_000).optional(),
          })
          .optional(),
        operatorState: fileHandle.optional(),
        channelState: fileHandle.optional(),
      }),
    )
    .max(10_000),
  stats: z.object({
    alignmentMs: z.number().nonnegative(),
    syncMs: z.number().nonnegative(),
    asyncMs: z.number().nonnegative(),
    stateSize: z.number().nonnegative(),
    checkpointedSize: z.number().nonnegative().optional(),
    channelStateBytes: z.number().nonnegative().optional(),
    alignmentDurationMs: z.number().nonnegative().optional(),
  }),
  endOfInput: z.boolean().optional(),
});

/** The shape of a {@link CheckpointRequest}. */
export const checkpointRequestSchema = z.object({
  checkpointId,
  timestamp: z.number().nonnegative(),
  savepoint: z.boolean(),
  aligned: z.boolean(),
  targetDir: path.min(1),
  stop: z.boolean().optional(),
  drain: z.boolean().optional(),
  unaligned: z.boolean().optional(),
  alignedTimeoutMs: z.number().nonnegative().optional(),
});

/** Schemas of the checkpoint requests. */
export function checkpointRpcSchemas(limits: PayloadLimits) {
  return {
    submitJobRestore: z.object({ restorePath: path, allowNonRestoredState: z.boolean() }),
    acknowledgeCheckpoint: z.object({ taskManagerId: nameSchema, jobId: jobIdSchema, ackJson: json(limits.maxJsonBytes) }),
    declineCheckpoint: z.object({
      taskManagerId: nameSchema,
      jobId: jobIdSchema,
      checkpointId,
      vertexId: nameSchema,
      subtaskIndex,
      attempt,
      reason: z.string().max(64 * 1024),
    }),
    triggerSavepoint: z.object({ jobId: jobIdSchema, targetDirectory: path, stop: z.boolean(), drain: z.boolean(), cancel: z.boolean() }),
    disposeSavepoint: z.object({ path: path.min(1, 'is required') }),
    triggerCheckpoint: z.object({ jobId: jobIdSchema, vertexId: nameSchema, subtaskIndex, attempt, requestJson: json(limits.maxJsonBytes) }),
    checkpointNotification: z.object({ jobId: jobIdSchema, checkpointId, vertexId: z.string().max(256), subtaskIndex, attempt }),
  };
}

function parseJsonDocument<T>(schema: z.ZodType, text: string, field: string): T {
  const result = schema.safeParse(parseJsonField(text, field));
  if (!result.success) throw new InvalidArgumentError(`invalid ${field}: ${describeIssue(result.error, (p) => p.map(String).join('.'))}`);
  return result.data as T;
}

/** Parses `ack_json`; INVALID_ARGUMENT naming the first bad field. */
export function parseTaskCheckpointAck(text: string): TaskCheckpointAck {
  return parseJsonDocument<TaskCheckpointAck>(taskCheckpointAckSchema, text, 'ack_json');
}

/** Parses `request_json` of TriggerCheckpoint; INVALID_ARGUMENT naming the first bad field. */
export function parseCheckpointRequest(text: string): CheckpointRequest {
  return parseJsonDocument<CheckpointRequest>(checkpointRequestSchema, text, 'request_json');
}
