/**
 * REST routes of elastic scaling, with Flink's paths and shapes (FLIP-291):
 * `GET /jobs/:jid/resource-requirements` answers the per-vertex parallelism bounds,
 * `PUT /jobs/:jid/resource-requirements` updates them (vertices left out keep theirs; the
 * token is checked like every write) and starts the rescale they imply, answering 200 `{}` once
 * it started; `GET /jobs/:jid/rescales` lists the job's rescales and `GET /jobs/:jid/autoscaler`
 * the autoscaler's evaluations, decisions with their inputs and the parallelism over time
 * (Fluss's own).
 */
import { isId } from '../../../core/ids.js';
import type { Dispatcher } from '../dispatcher.js';
import type { JobMaster } from '../job-master.js';
import type { JobRescaler } from '../job-rescaler.js';
import type { JobAutoscaler } from '../autoscaler/job-autoscaler.js';
import { parseRequirements, requirementsToJson } from '../resource-requirements.js';
import { RestApiError } from './rest-errors.js';
import type { RestRequest, RestRouter } from './rest-router.js';

function jobOf(dispatcher: Dispatcher, req: RestRequest): JobMaster {
  const jid = req.params['jid']!;
  if (!isId(jid)) throw new RestApiError(400, `"${jid}" is not a job id: expected 32 lowercase hex digits`);
  const job = dispatcher.jobMaster(jid);
  if (!job) throw new RestApiError(404, `Job ${jid} not found`);
  return job;
}

/** Adds the resource-requirements and rescale routes to `router`. */
export function addResourceRequirementsRoutes(router: RestRouter, dispatcher: Dispatcher, rescaler: JobRescaler, autoscaler?: JobAutoscaler): void {
  router.add('GET', '/jobs/:jid/resource-requirements', (req) => ({ status: 200, body: requirementsToJson(rescaler.requirementsOf(jobOf(dispatcher, req).jobId)) }));

  router.add('PUT', '/jobs/:jid/resource-requirements', async (req) => {
    let doc: unknown;
    try {
      doc = JSON.parse(req.body);
    } catch (err) {
      throw new RestApiError(400, `request body is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const job = jobOf(dispatcher, req);
    let requested;
    try {
      requested = parseRequirements(doc, job.jobGraph);
    } catch (err) {
      throw new RestApiError(400, `invalid resource requirements: ${(err as Error).message}`, { cause: err });
    }
    await rescaler.update(job.jobId, requested, false);
    return { status: 200, body: {} };
  });

  router.add('GET', '/jobs/:jid/rescales', (req) => {
    const job = jobOf(dispatcher, req);
    return { status: 200, body: { rescales: rescaler.history.of(job.jobId) } };
  });

  if (autoscaler) router.add('GET', '/jobs/:jid/autoscaler', (req) => ({ status: 200, body: autoscaler.view(jobOf(dispatcher, req)) }));
}
