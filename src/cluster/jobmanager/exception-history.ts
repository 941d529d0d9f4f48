/**
 * The failures of one job, newest first, as Flink's `/jobs/:jid/exceptions` reports them: each
 * with its time, the task it happened in and where that task ran. Bounded, so a job that fails
 * and restarts forever does not grow without limit.
 */

/** One recorded failure. */
export interface ExceptionHistoryEntry {
  /** The error's type, e.g. "UserCodeError" (Flink: the exception class). */
  exceptionName: string;
  /** One line. */
  message: string;
  /** ms since epoch. */
  timestamp: number;
  /** "Map (2/4)", or null for a job-level failure (slots could not be acquired, …). */
  taskName: string | null;
  /** `host:port` of the TaskManager, or null. */
  location: string | null;
  taskManagerId: string | null;
}

/** Entries kept (Flink's `web.exception-history-size` default). */
export const EXCEPTION_HISTORY_SIZE = 16;

/** Bounded failure history of one job. */
export class ExceptionHistory {
  private readonly items: ExceptionHistoryEntry[] = [];
  private dropped = 0;

  /** Records a failure. */
  add(entry: ExceptionHistoryEntry): void {
    this.items.unshift(entry);
    if (this.items.length > EXCEPTION_HISTORY_SIZE) {
      this.items.pop();
      this.dropped++;
    }
  }

  /** Newest first. */
  get entries(): readonly ExceptionHistoryEntry[] {
    return this.items;
  }

  /** True when older entries were dropped. */
  get truncated(): boolean {
    return this.dropped > 0;
  }
}

/** "UserCodeError" from a cause line such as "UserCodeError: map failed", else "JobFailure". */
export function exceptionNameOf(cause: string): string {
  const m = /^([A-Z][A-Za-z0-9_.]*(?:Error|Exception)):/.exec(cause);
  return m ? m[1]! : 'JobFailure';
}
