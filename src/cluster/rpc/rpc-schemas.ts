/**
 * zod schemas of every request a Fluss gRPC server accepts, with size bounds. proto3 delivers
 * every field (defaults filled in), but a hand-made client can still send negative numbers,
 * huge strings, unknown states or nonsense JSON; {@link parseRequest} refuses them with
 * INVALID_ARGUMENT naming the field, before any handler state is touched.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import type { PayloadLimits } from './payload-limits.js';

/** A job id: 32 lowercase hex digits. */
export const jobIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits');
/** A sha256 in hex: bundle hashes. */
export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
/** Ids chosen by Fluss components (TaskManager ids, registration ids, vertex ids). */
export const nameSchema = z.string().min(1, 'is required').max(256, 'is longer than 256 characters');
/** `host:port` or `[v6]:port`. */
export const addressSchema = z
  .string()
  .max(300)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, 'must be host:port')
  .refine((a) => {
    const port = Number(a.slice(a.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'has a port outside 1-65535');
const subtaskIndex = z.number().int().min(0).max(32767);
const attempt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** One line of text reported by a peer (failure causes). */
const causeSchema = z.string().max(64 * 1024, 'is longer than 64 KiB');

/** ExecutionState as Flink names them. */
export const executionStateSchema = z.enum(['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED']);

const bytes = (max: number, what: string) =>
  z.custom<Buffer>((v) => v instanceof Uint8Array, 'must be bytes').refine((b) => b.length <= max, `is larger than ${what} (${max} bytes)`);
const json = (max: number) => z.string().max(max, `is larger than rpc.json.max-size (${max} bytes)`);

/** Schemas of the requests of JobManagerService and TaskManagerService. */
export function rpcSchemas(limits: PayloadLimits) {
  const runningTask = z.object({ jobId: jobIdSchema, vertexId: nameSchema, subtaskIndex, attempt });
  return {
    submitJob: z.object({
      bundle: bytes(limits.maxBundleBytes, 'blob.max-size').refine((b) => b.length > 0, 'is empty'),
      jobGraphJson: json(limits.maxJsonBytes).min(1, 'is empty'),
      programArgs: z.array(z.string().max(64 * 1024)).max(4096),
      jobId: z.union([z.literal(''), jobIdSchema]),
    }),
    listJobs: z.object({ includeTerminated: z.boolean() }),
    jobRequest: z.object({ jobId: jobIdSchema }),
    registerTaskManager: z.object({
      taskManagerId: nameSchema,
      rpcAddress: addressSchema,
      numberOfSlots: z.number().int().min(1).max(1024),
      runningTasks: z.array(runningTask).max(100_000),
      memory: z
        .object({
          totalProcessMemory: z.number().nonnegative(),
          taskHeap: z.number().nonnegative(),
          managedMemory: z.number().nonnegative(),
          jvmOverhead: z.number().nonnegative(),
          heapLimit: z.number().nonnegative(),
        })
        .nullish(),
    }),
    heartbeat: z.object({ taskManagerId: nameSchema, registrationId: z.string().max(256), metricsJson: json(limits.maxJsonBytes), localStateJobIds: z.array(z.string().max(256)).max(10_000).optional() }),
    updateTaskExecutionState: z.object({
      taskManagerId: nameSchema,
      jobId: jobIdSchema,
      vertexId: nameSchema,
      subtaskIndex,
      attempt,
      state: executionStateSchema,
      failureCause: causeSchema,
      endOfInput: z.boolean().optional(),
    }),
    fetchBundle: z.object({ bundleHash: sha256Schema }),
    submitTask: z.object({ deploymentJson: json(limits.maxJsonBytes).min(1, 'is empty'), jobGraphJson: json(limits.maxJsonBytes).min(1, 'is empty') }),
    cancelTask: z.object({ jobId: jobIdSchema, vertexId: nameSchema, subtaskIndex, attempt }),
  };
}

/** Field names as the proto spells them (snake_case), for messages. */
function protoPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** The first issue of a failed parse as `<field> <message>`. */
export function describeIssue(error: z.ZodError, toPath: (path: readonly PropertyKey[]) => string = protoPath): string {
  const issue = error.issues[0];
  if (!issue) return 'is invalid';
  const path = toPath(issue.path);
  return path ? `${path} ${issue.message}` : issue.message;
}

/** Validates `request` against `schema`; INVALID_ARGUMENT naming the first bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, request: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(request);
  if (result.success) return result.data;
  throw new InvalidArgumentError(`invalid ${what}: ${describeIssue(result.error)}`);
}

/** Parses a JSON field, refusing anything that is not JSON with INVALID_ARGUMENT naming the field. */
export function parseJsonField(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidArgumentError(`${field} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
