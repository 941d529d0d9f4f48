import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/cluster/rpc/messages.js';
import { RestartReporter } from '../../src/cli/restart-reporter.js';

const JOB = 'ab'.repeat(16);

function info(status: JobInfo['status'], failureCause = ''): JobInfo {
  return { jobId: JOB, name: 'j', status, startTime: 0, endTime: 0, failureCause, vertices: [] };
}

describe('RestartReporter', () => {
  it('prints the first failure at once, collapses the same cause with a count, and prints a new cause at once', () => {
    const lines: string[] = [];
    const r = new RestartReporter(JOB, (l) => lines.push(l), 10_000);
    r.onUpdate(info('RUNNING'), 0);
    expect(lines).toEqual([]);
    r.onUpdate(info('RESTARTING', 'Sink failed: broken'), 100);
    expect(lines).toEqual([`Job ${JOB} failed and is restarting (restart 1): Sink failed: broken`]);
    // The same cause twice more within the interval: counted, not printed.
    r.onUpdate(info('RUNNING'), 2_000);
    r.onUpdate(info('RESTARTING', 'Sink failed: broken'), 3_000);
    r.onUpdate(info('RUNNING'), 5_000);
    r.onUpdate(info('RESTARTING', 'Sink failed: broken'), 5_500);
    expect(lines).toHaveLength(1);
    r.tick(9_000);
    expect(lines).toHaveLength(1);
    r.tick(10_100);
    expect(lines[1]).toBe(`Job ${JOB} failed and restarted 2 more times with the same cause (restart 3): Sink failed: broken`);
    // A different cause: its own line at once, after the count of the previous one.
    r.onUpdate(info('RUNNING'), 10_200);
    r.onUpdate(info('RESTARTING', 'Sink failed: broken'), 10_300);
    r.onUpdate(info('RUNNING'), 10_400);
    r.onUpdate(info('RESTARTING', 'Map failed: other'), 10_500);
    expect(lines.slice(2)).toEqual([
      `Job ${JOB} failed and restarted 1 more time with the same cause (restart 4): Sink failed: broken`,
      `Job ${JOB} failed and is restarting (restart 5): Map failed: other`,
    ]);
    // The job ends: nothing pending, nothing printed.
    r.onUpdate(info('FAILED', 'Map failed: other'), 11_000);
    r.flush(11_000);
    expect(lines).toHaveLength(4);
  });

  it('counts a restart once however many updates arrive while RESTARTING', () => {
    const lines: string[] = [];
    const r = new RestartReporter(JOB, (l) => lines.push(l), 0);
    r.onUpdate(info('RESTARTING', 'x'), 0);
    r.onUpdate(info('RESTARTING', 'x'), 1);
    r.onUpdate(info('RUNNING'), 2);
    r.onUpdate(info('RESTARTING', ''), 3);
    expect(lines).toEqual([`Job ${JOB} failed and is restarting (restart 1): x`, `Job ${JOB} failed and is restarting (restart 2): unknown cause`]);
  });
});
