/**
 * Asynchronous savepoints of the REST API, as Flink offers them: `POST /jobs/:jid/savepoints`
 * answers 202 with a `request-id` at once; `GET /jobs/:jid/savepoints/:triggerid` reports
 * `IN_PROGRESS`, then `COMPLETED` with the savepoint's `location` or its `failure-cause`.
 */
import { randomBytes } from 'node:crypto';
import { describeError } from '../../../core/errors.js';

/** Flink's body of `GET /jobs/:jid/savepoints/:triggerid`. */
export interface SavepointTriggerStatus {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  operation?: { location: string } | { 'failure-cause': { class: string; 'stack-trace': string } };
}

/** Triggers kept per JobManager (oldest forgotten first). */
const MAX_TRIGGERS = 1000;

/** Outstanding and finished savepoint triggers of the REST API. */
export class SavepointTriggers {
  private readonly triggers = new Map<string, { jobId: string; status: SavepointTriggerStatus }>();

  /** Starts following `savepoint` for `jobId`; returns the trigger id (`triggerId` when the client chose one). */
  track(jobId: string, savepoint: Promise<string>, triggerId?: string): string {
    const id = triggerId || randomBytes(16).toString('hex');
    const entry = { jobId, status: { status: { id: 'IN_PROGRESS' } } as SavepointTriggerStatus };
    this.triggers.set(id, entry);
    while (this.triggers.size > MAX_TRIGGERS) this.triggers.delete(this.triggers.keys().next().value!);
    savepoint.then(
      (location) => (entry.status = { status: { id: 'COMPLETED' }, operation: { location } }),
      (err: unknown) => (entry.status = { status: { id: 'COMPLETED' }, operation: { 'failure-cause': { class: err instanceof Error ? err.name : 'Error', 'stack-trace': describeError(err) } } }),
    );
    return id;
  }

  /** The status of a trigger of `jobId`, or undefined when unknown. */
  status(jobId: string, triggerId: string): SavepointTriggerStatus | undefined {
    const t = this.triggers.get(triggerId);
    return t && t.jobId === jobId ? t.status : undefined;
  }
}
