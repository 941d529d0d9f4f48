/**
 * The elastic-scaling handlers of `fluss.v1.JobManagerService`: GetJobResourceRequirements and
 * UpdateJobResourceRequirements (`fluss rescale`). Requests are validated before the
 * JobRescaler sees them; every refusal is a typed status with one line.
 */
import type * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import { unaryHandler } from '../rpc/grpc-server.js';
import type { PayloadLimits } from '../rpc/payload-limits.js';
import type { JobResourceRequirementsMessage, UpdateJobResourceRequirementsRequest, UpdateJobResourceRequirementsResponse } from '../rpc/rescale-messages.js';
import { jobIdSchema, parseJsonField, parseRequest } from '../rpc/rpc-schemas.js';
import type { Dispatcher } from './dispatcher.js';
import type { JobRescaler } from './job-rescaler.js';
import { parseRequirements, requirementsForParallelism, requirementsToJson, type ResourceRequirements } from './resource-requirements.js';

/** Handlers of the resource-requirements RPCs, keyed as grpc-js expects them. */
export function rescaleServiceHandlers(dispatcher: Dispatcher, rescaler: JobRescaler, limits: PayloadLimits): grpc.UntypedServiceImplementation {
  const schemas = {
    get: z.object({ jobId: jobIdSchema }),
    update: z.object({
      jobId: jobIdSchema,
      requirementsJson: z.string().max(limits.maxJsonBytes, 'is too large'),
      parallelism: z.number().int('must be an integer'),
    }),
  };
  const jobGraphOf = (jobId: string) => {
    const job = dispatcher.jobMaster(jobId);
    if (!job) throw new NotFoundError(`Job ${jobId} not found.`);
    return job.jobGraph;
  };
  return {
    getJobResourceRequirements: unaryHandler<{ jobId: string }, JobResourceRequirementsMessage>((raw) => {
      const { jobId } = parseRequest(schemas.get, raw, 'GetJobRequest');
      return { requirementsJson: JSON.stringify(requirementsToJson(rescaler.requirementsOf(jobId))) };
    }),

    updateJobResourceRequirements: unaryHandler<UpdateJobResourceRequirementsRequest, UpdateJobResourceRequirementsResponse>(async (raw) => {
      const req = parseRequest(schemas.update, raw, 'UpdateJobResourceRequirementsRequest');
      const jobGraph = jobGraphOf(req.jobId);
      let requested: ResourceRequirements;
      if (req.requirementsJson !== '') {
        if (req.parallelism !== 0) throw new InvalidArgumentError('give either requirements_json or parallelism, not both');
        requested = parseRequirements(parseJsonField(req.requirementsJson, 'requirements_json'), jobGraph);
      } else {
        requested = requirementsForParallelism(jobGraph, req.parallelism);
      }
      const outcome = await rescaler.update(req.jobId, requested, true);
      return { parallelismJson: JSON.stringify(Object.fromEntries(outcome.parallelism)), rescaled: outcome.rescaled };
    }),
  };
}
