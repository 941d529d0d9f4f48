/**
 * The output of `fluss list`, in Flink's format so that scripts written for `flink list`
 * carry over: running, scheduled and (with -a) terminated jobs, oldest first, one line each:
 * `<dd.MM.yyyy HH:mm:ss> : <jobId> : <name> (<STATUS>)`.
 */
import type { JobInfo } from '../cluster/rpc/messages.js';
import { isTerminalJobStatus } from '../runtime/task-deployment.js';

/** Which blocks `fluss list` prints. */
export interface ListSelection {
  running: boolean;
  scheduled: boolean;
  terminated: boolean;
}

const RULE = '--------------------------------------------------------------';
const RUNNING_HEADER = '------------------ Running/Restarting Jobs -------------------';
const SCHEDULED_HEADER = '----------------------- Scheduled Jobs -----------------------';
const TERMINATED_HEADER = '---------------------- Terminated Jobs -----------------------';

/** `dd.MM.yyyy HH:mm:ss` in local time, as Flink prints start times. */
export function formatFlinkDate(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getDate())}.${p(d.getMonth() + 1)}.${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One job line. */
export function formatJobLine(job: JobInfo): string {
  return `${formatFlinkDate(job.startTime)} : ${job.jobId} : ${job.name} (${job.status})`;
}

/** The lines of `fluss list` (after "Waiting for response..."). */
export function formatJobList(jobs: readonly JobInfo[], selection: ListSelection): string[] {
  const byStart = [...jobs].sort((a, b) => a.startTime - b.startTime);
  const scheduled = byStart.filter((j) => j.status === 'CREATED');
  const terminated = byStart.filter((j) => isTerminalJobStatus(j.status));
  const running = byStart.filter((j) => j.status !== 'CREATED' && !isTerminalJobStatus(j.status));
  const lines: string[] = [];
  const block = (header: string, list: JobInfo[], empty: string | undefined): void => {
    if (list.length === 0) {
      if (empty) lines.push(empty);
      return;
    }
    lines.push(header, ...list.map(formatJobLine), RULE);
  };
  if (selection.running) block(RUNNING_HEADER, running, 'No running jobs.');
  if (selection.scheduled) block(SCHEDULED_HEADER, scheduled, 'No scheduled jobs.');
  if (selection.terminated) block(TERMINATED_HEADER, terminated, undefined);
  return lines;
}
