/**
 * The status of one job: moves it along the job state machine (an illegal transition is a bug
 * and throws), records when it entered each status, wakes those waiting for a change and tells
 * the listener.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { JobStatus } from '../../runtime/task-deployment.js';
import { canTransition } from './job-status-machine.js';

/** A job's status, its history and the ones waiting for it to change. */
export class JobStatusTracker {
  private current: JobStatus = 'CREATED';
  /** When the job entered each status it went through (ms since epoch). */
  readonly timestamps: Partial<Record<JobStatus, number>>;
  /** Waiting for the next status change. */
  private waiters: ((status: JobStatus) => void)[] = [];

  /** `onChange` runs after every change; its errors are logged, never thrown. */
  constructor(
    startTime: number,
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {
    this.timestamps = { CREATED: startTime };
  }

  /** The current status. */
  get status(): JobStatus {
    return this.current;
  }

  /** Moves to `next` (nothing when already there). */
  set(next: JobStatus): void {
    if (next === this.current) return;
    if (!canTransition(this.current, next)) throw new InvalidArgumentError(`illegal job state transition ${this.current} -> ${next}`);
    this.current = next;
    this.timestamps[next] = Date.now();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(next);
    try {
      this.onChange();
    } catch (err) {
      this.log.error({ err }, 'status listener failed');
    }
  }

  /** Resolves with the status once it is no longer `current`. */
  after(current: JobStatus): Promise<JobStatus> {
    if (this.current !== current) return Promise.resolve(this.current);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
