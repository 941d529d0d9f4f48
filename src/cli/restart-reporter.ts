/**
 * What an attached `fluss run` prints while its job fails and restarts: one line per failure
 * with its cause, so a restart loop is visible at once rather than a silent wait. Identical
 * causes in a row are collapsed: after a line, the same cause is counted, not printed, for
 * `intervalMs`; then one line gives the count. A new cause is printed at once. Pure: the caller
 * feeds job updates and the clock.
 */
import type { JobInfo } from '../cluster/rpc/messages.js';

/** Default minimum time between two lines about the same cause. */
export const RESTART_REPORT_INTERVAL_MS = 10_000;

/** Collapses a job's restarts into rate-limited lines. */
export class RestartReporter {
  /** Restarts seen so far (RUNNING → RESTARTING transitions). */
  private restarts = 0;
  private lastStatus: string | undefined;
  private lastCause: string | undefined;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  /** Restarts with `lastCause` not printed yet, the latest of them numbered `latestUnreported`. */
  private unreported = 0;
  private latestUnreported = 0;

  constructor(
    private readonly jobId: string,
    private readonly write: (line: string) => void,
    private readonly intervalMs: number = RESTART_REPORT_INTERVAL_MS,
  ) {}

  /** A job update (every status change the JobManager reports). */
  onUpdate(info: JobInfo, now: number): void {
    const entered = info.status === 'RESTARTING' && this.lastStatus !== 'RESTARTING';
    this.lastStatus = info.status;
    if (!entered) return;
    this.restarts++;
    const cause = info.failureCause || 'unknown cause';
    if (cause === this.lastCause && now - this.lastLineAt < this.intervalMs) {
      this.unreported++;
      this.latestUnreported = this.restarts;
      return;
    }
    this.flush(now);
    this.lastCause = cause;
    this.lastLineAt = now;
    this.write(`Job ${this.jobId} failed and is restarting (restart ${this.restarts}): ${cause}`);
  }

  /** Called periodically: reports counted repeats once the interval since the last line passed. */
  tick(now: number): void {
    if (this.unreported > 0 && now - this.lastLineAt >= this.intervalMs) this.flush(now);
  }

  /** Reports counted repeats now (also when the job ended). */
  flush(now: number): void {
    if (this.unreported === 0) return;
    const n = this.unreported;
    this.unreported = 0;
    this.lastLineAt = now;
    this.write(`Job ${this.jobId} failed and restarted ${n} more time${n === 1 ? '' : 's'} with the same cause (restart ${this.latestUnreported}): ${this.lastCause}`);
  }
}
