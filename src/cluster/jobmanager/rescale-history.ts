/**
 * The rescales of each job, newest last, bounded: when, why, from which parallelism to which,
 * the checkpoint it restored and how long the job took to run again. Shown by REST
 * (`GET /jobs/:jid/rescales`) and the dashboard.
 */

/** What asked for a rescale. */
export type RescaleTrigger = 'request' | 'reactive' | 'adaptive' | 'autoscaler';

/** One rescale of a job. */
export interface RescaleEvent {
  /** When the job ran again (ms since epoch). */
  timestamp: number;
  trigger: RescaleTrigger;
  /** Parallelism per vertex id before and after. */
  from: Record<string, number>;
  to: Record<string, number>;
  /** The checkpoint taken for the rescale and restored. */
  checkpointId: number;
  /** From the request until every task was RUNNING again. */
  durationMs: number;
}

/** Rescales remembered per job. */
const MAX_EVENTS_PER_JOB = 200;

/** Rescale events per job id. */
export class RescaleHistory {
  private readonly byJob = new Map<string, RescaleEvent[]>();

  /** Records a rescale of `jobId`. */
  add(jobId: string, event: RescaleEvent): void {
    let events = this.byJob.get(jobId);
    if (!events) this.byJob.set(jobId, (events = []));
    events.push(event);
    if (events.length > MAX_EVENTS_PER_JOB) events.splice(0, events.length - MAX_EVENTS_PER_JOB);
  }

  /** The rescales of `jobId`, oldest first. */
  of(jobId: string): readonly RescaleEvent[] {
    return this.byJob.get(jobId) ?? [];
  }

  /** Forgets a job (it left the Dispatcher). */
  remove(jobId: string): void {
    this.byJob.delete(jobId);
  }
}
