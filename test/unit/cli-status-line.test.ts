import { describe, expect, it } from 'vitest';
import { compactNumber, formatStatusLine } from '../../src/cli/job-status-line.js';
import type { JobInfo } from '../../src/cluster/rpc/messages.js';
import type { JobGraph } from '../../src/common/job-graph.js';

const graph = (intervalMs: number) =>
  ({
    vertices: [
      { id: 'src', inputs: [] },
      { id: 'sink', inputs: [{}] },
    ],
    settings: { checkpoint: { intervalMs } },
  }) as unknown as JobGraph;

const info = (extra: Partial<JobInfo> = {}): JobInfo => ({
  jobId: 'j',
  name: 'n',
  status: 'RUNNING',
  startTime: 0,
  endTime: 0,
  failureCause: '',
  vertices: [
    { id: 'src', name: 'Source', parallelism: 2, status: 'RUNNING', recordsOut: 1_234_567, recordsOutPerSecond: 45_600 },
    { id: 'sink', name: 'Sink', parallelism: 2, status: 'DEPLOYING', recordsIn: 1_000_000, recordsInPerSecond: 40_000 },
  ],
  ...extra,
});

describe('live status line', () => {
  it('shows state, running tasks, the sources\' rate and total', () => {
    expect(formatStatusLine(info(), graph(0), 0)).toBe('RUNNING · 2/4 tasks · 45.6 K records/s · 1.23 M records');
  });

  it('shows the latest checkpoint and its age, or that none completed yet', () => {
    expect(formatStatusLine(info({ lastCheckpointId: 7, lastCheckpointTime: 10_000 }), graph(1000), 13_400)).toMatch(
      / · checkpoint #7 3 s ago$/,
    );
    expect(formatStatusLine(info(), graph(1000), 0)).toMatch(/ · no checkpoint yet$/);
  });

  it('formats numbers compactly', () => {
    expect([compactNumber(950), compactNumber(1234), compactNumber(45_600), compactNumber(4_560_000)]).toEqual([
      '950',
      '1.23 K',
      '45.6 K',
      '4.56 M',
    ]);
  });
});
