/**
 * The checkpoint and savepoint handlers of `fluss.v1.JobManagerService`: AcknowledgeCheckpoint
 * and DeclineCheckpoint (from TaskManagers), TriggerSavepoint and DisposeSavepoint (from
 * clients). Requests are validated against checkpoint-rpc-schemas.ts first.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../core/logger.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { checkpointRpcSchemas, parseTaskCheckpointAck } from '../rpc/checkpoint-rpc-schemas.js';
import { unaryHandler } from '../rpc/grpc-server.js';
import type {
  Ack,
  AcknowledgeCheckpointRequest,
  DeclineCheckpointRequest,
  DisposeSavepointRequest,
  TriggerSavepointRequest,
  TriggerSavepointResponse,
} from '../rpc/messages.js';
import type { PayloadLimits } from '../rpc/payload-limits.js';
import { parseRequest } from '../rpc/rpc-schemas.js';
import type { Dispatcher } from './dispatcher.js';

/** Handlers of the checkpoint RPCs, keyed as grpc-js expects them. */
export function checkpointServiceHandlers(dispatcher: Dispatcher, logger: Logger, limits: PayloadLimits): grpc.UntypedServiceImplementation {
  const log = logger.child({ component: 'JobManager' });
  const schemas = checkpointRpcSchemas(limits);
  return {
    acknowledgeCheckpoint: unaryHandler<AcknowledgeCheckpointRequest, Ack>(async (raw) => {
      const req = parseRequest(schemas.acknowledgeCheckpoint, raw, 'AcknowledgeCheckpointRequest');
      await dispatcher.acknowledgeCheckpoint(req.taskManagerId, req.jobId, parseTaskCheckpointAck(req.ackJson));
      return {};
    }),

    declineCheckpoint: unaryHandler<DeclineCheckpointRequest, Ack>((raw) => {
      const r = parseRequest(schemas.declineCheckpoint, raw, 'DeclineCheckpointRequest');
      const { checkpointId, vertexId, subtaskIndex, attempt } = r;
      dispatcher.declineCheckpoint(r.taskManagerId, r.jobId, { checkpointId, vertexId, subtaskIndex, attempt, reason: r.reason.split(/\r?\n/, 1)[0] ?? '' });
      return {};
    }),

    triggerSavepoint: unaryHandler<TriggerSavepointRequest, TriggerSavepointResponse>(async (raw) => {
      const r = parseRequest(schemas.triggerSavepoint, raw, 'TriggerSavepointRequest');
      const path = await dispatcher.triggerSavepoint(r.jobId, {
        targetDirectory: r.targetDirectory || undefined,
        stop: r.stop,
        drain: r.drain,
        cancel: r.cancel,
      });
      return { path };
    }),

    disposeSavepoint: unaryHandler<DisposeSavepointRequest, Ack>(async (raw) => {
      const { path } = parseRequest(schemas.disposeSavepoint, raw, 'DisposeSavepointRequest');
      const disposed = await dispatcher.disposeSavepoint(path);
      log.info({ path: disposed }, 'savepoint disposed');
      return {};
    }),
  };
}

/**
 * The restore fields of a SubmitJobRequest (`restore_path`, `allow_non_restored_state`,
 * `restore_from_empty_on_damage`).
 */
export function submissionRestoreOf(raw: unknown, limits: PayloadLimits): { restorePath: string; allowNonRestoredState: boolean; restoreFromEmptyOnDamage: boolean } {
  const r = raw as { restorePath?: unknown; allowNonRestoredState?: unknown; restoreFromEmptyOnDamage?: unknown };
  const fromEmpty = r.restoreFromEmptyOnDamage ?? false;
  if (typeof fromEmpty !== 'boolean') throw new InvalidArgumentError('invalid SubmitJobRequest: restore_from_empty_on_damage must be a boolean');
  const parsed = parseRequest(checkpointRpcSchemas(limits).submitJobRestore, { restorePath: r.restorePath ?? '', allowNonRestoredState: r.allowNonRestoredState ?? false }, 'SubmitJobRequest');
  return { ...parsed, restoreFromEmptyOnDamage: fromEmpty };
}
